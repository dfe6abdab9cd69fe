#include "daemon/console_profiles.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "daemon/designated_resolver.hpp"
#include "server/query_log.hpp"

namespace port53::daemon {

namespace {

std::string json(std::string_view s) {
    std::string out;
    server::append_json_string(out, s);
    return out;
}

std::string xml(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// A UUID (RFC 9562 §5.8 layout, version 8) from SHA-256 of `seed`: the same for the same
// resolver and kind, so a device replaces the profile instead of adding a second one.
std::string stable_uuid(const std::string& seed) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(seed.data(), seed.size(), d, &n, EVP_sha256(), nullptr);
    d[6] = static_cast<unsigned char>((d[6] & 0x0F) | 0x80);
    d[8] = static_cast<unsigned char>((d[8] & 0x3F) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out,
                  "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", d[0],
                  d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
                  d[14], d[15]);
    return out;
}

std::string host_port(const std::string& name, unsigned port, unsigned usual) {
    return port == usual ? name : name + ":" + std::to_string(port);
}

}  // namespace

ClientProfileInputs client_profile_inputs(const conf::Config& cfg) {
    ClientProfileInputs in;
    std::string name = resolver_name(cfg);
    if (name.empty() || cfg.tls.certificate.empty()) return in;
    if (name.back() == '.') name.pop_back();
    in.name = name;
    for (const auto& l : cfg.tls.doh_listen) {
        conf::ListenAddress a = conf::parse_listen_address(l);
        if (in.doh_url.empty())
            in.doh_url = "https://" + host_port(name, a.port, 443) + cfg.tls.dot_doh.doh_path;
        if (a.ip != "0.0.0.0" && a.ip != "::") in.addresses.push_back(a.ip);
    }
    for (const auto& l : cfg.tls.dot_listen) {
        conf::ListenAddress a = conf::parse_listen_address(l);
        if (a.port == 853) in.dot_host = name;  // Android and Apple ask on 853 only
        if (a.ip != "0.0.0.0" && a.ip != "::") in.addresses.push_back(a.ip);
    }
    std::sort(in.addresses.begin(), in.addresses.end());
    in.addresses.erase(std::unique(in.addresses.begin(), in.addresses.end()), in.addresses.end());
    return in;
}

std::string profiles_json(const ClientProfileInputs& in) {
    std::string out = "{\"name\":" + json(in.name) + ",\"doh_url\":" + json(in.doh_url) +
                      ",\"dot_host\":" + json(in.dot_host) +
                      ",\"android_private_dns\":" + json(in.dot_host);
    // Firefox: about:config prefs (TRR mode 3: DoH only) and the same as an enterprise policy.
    out += ",\"firefox\":{\"about_config\":{\"network.trr.mode\":3,\"network.trr.uri\":" +
           json(in.doh_url) + ",\"network.trr.custom_uri\":" + json(in.doh_url) +
           "},\"policies\":{\"policies\":{\"DNSOverHTTPS\":{\"Enabled\":true,\"ProviderURL\":" +
           json(in.doh_url) + ",\"Fallback\":false}}}}";
    out += ",\"chromium_policy\":{\"DnsOverHttpsMode\":\"secure\",\"DnsOverHttpsTemplates\":" +
           json(in.doh_url) + "}}\n";
    return out;
}

std::string apple_mobileconfig(const ClientProfileInputs& in, bool tls) {
    const std::string kind = tls ? "TLS" : "HTTPS";
    std::string settings = "<key>DNSProtocol</key><string>" + kind + "</string>\n";
    settings += tls ? "<key>ServerName</key><string>" + xml(in.dot_host) + "</string>\n"
                    : "<key>ServerURL</key><string>" + xml(in.doh_url) + "</string>\n";
    if (!in.addresses.empty()) {
        settings += "<key>ServerAddresses</key><array>";
        for (const auto& a : in.addresses) settings += "<string>" + xml(a) + "</string>";
        settings += "</array>\n";
    }
    std::string inner = stable_uuid("port53 payload " + kind + " " + in.name);
    std::string outer = stable_uuid("port53 profile " + kind + " " + in.name);
    std::string label = "port53 " + xml(in.name) + (tls ? " (DNS over TLS)" : " (DNS over HTTPS)");
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<plist version=\"1.0\"><dict>\n<key>PayloadContent</key><array><dict>\n"
           "<key>DNSSettings</key><dict>\n" +
           settings + "</dict>\n<key>PayloadDisplayName</key><string>" + label +
           "</string>\n<key>PayloadIdentifier</key><string>com.apple.dnsSettings.managed." + inner +
           "</string>\n<key>PayloadType</key><string>com.apple.dnsSettings.managed</string>\n"
           "<key>PayloadUUID</key><string>" +
           inner +
           "</string>\n<key>PayloadVersion</key><integer>1</integer>\n</dict></array>\n"
           "<key>PayloadDisplayName</key><string>" +
           label + "</string>\n<key>PayloadIdentifier</key><string>port53." + xml(in.name) + "." +
           kind +
           "</string>\n<key>PayloadRemovalDisallowed</key><false/>\n"
           "<key>PayloadType</key><string>Configuration</string>\n<key>PayloadUUID</key><string>" +
           outer + "</string>\n<key>PayloadVersion</key><integer>1</integer>\n</dict></plist>\n";
}

}  // namespace port53::daemon
