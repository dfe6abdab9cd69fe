#include "secondary/secondary_config.hpp"

#include <fstream>
#include <sstream>

namespace port53::secondary {

std::vector<TsigKey> build_tsig_keys(const std::vector<TsigKeySettings>& keys) {
    std::vector<TsigKey> out;
    for (const auto& k : keys) {
        auto name = wire::Name::from_text(k.name);
        if (k.name.empty() || !name)
            throw SecondarySettingError("tsig_key.name",
                                        "tsig_key.name: not a domain name: \"" + k.name + "\"");
        auto alg = tsig_algorithm_from_text(k.algorithm);
        if (!alg)
            throw SecondarySettingError(
                "tsig_key.algorithm",
                "tsig_key " + k.name + ": algorithm must be hmac-sha256 or hmac-sha512");
        if (k.secret.empty() == k.secret_file.empty())
            throw SecondarySettingError("tsig_key.secret",
                                        "tsig_key " + k.name + ": give secret or secret_file");
        std::string text = k.secret;
        if (!k.secret_file.empty()) {
            std::ifstream in(k.secret_file);
            if (!in)
                throw SecondarySettingError(
                    "tsig_key.secret_file",
                    "tsig_key " + k.name + ": cannot read " + k.secret_file);
            std::stringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        auto secret = decode_base64(text);
        if (!secret || secret->empty())
            throw SecondarySettingError("tsig_key.secret",
                                        "tsig_key " + k.name + ": the secret is not base64");
        for (const auto& seen : out)
            if (seen.name == *name)
                throw SecondarySettingError("tsig_key.name",
                                            "tsig_key " + k.name + " is defined twice");
        out.push_back(TsigKey{*name, *alg, std::move(*secret)});
    }
    return out;
}

void check_secondaries(const std::vector<SecondarySettings>& zones,
                       const std::vector<TsigKeySettings>& keys) {
    std::vector<wire::Name> seen;
    for (const auto& z : zones) {
        std::string which = "secondary " + z.zone.to_text();
        if (std::find(seen.begin(), seen.end(), z.zone) != seen.end())
            throw SecondarySettingError("secondary.zone", which + " is configured twice");
        seen.push_back(z.zone);
        if (z.primaries.empty())
            throw SecondarySettingError("secondary.primaries", which + ": primaries is empty");
        for (const auto& p : z.primaries)
            if (!p.auth_name.empty())
                throw SecondarySettingError("secondary.primaries",
                                            which + ": primaries are IP or IP@PORT");
        if (z.file.empty())
            throw SecondarySettingError("secondary.file",
                                        which + ": file (where the copy is kept) is required");
        if (z.min_refresh > z.max_refresh)
            throw SecondarySettingError("secondary.min_refresh",
                                        which + ": min_refresh exceeds max_refresh");
        bool known = z.tsig_key.empty();
        for (const auto& k : keys) {
            auto a = wire::Name::from_text(k.name), b = wire::Name::from_text(z.tsig_key);
            known = known || (a && b && *a == *b);
        }
        if (!known)
            throw SecondarySettingError("secondary.tsig_key",
                                        which + ": no [[tsig_key]] named " + z.tsig_key);
    }
}

}  // namespace port53::secondary
