#include "transports/proxy_header.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace port53::transports {

namespace {

constexpr std::size_t kFixed = 16;  // signature, version/command, family/transport, length
constexpr uint8_t kVersion2 = 0x20;
constexpr uint8_t kLocal = 0x00, kProxy = 0x01;
constexpr uint8_t kUnspec = 0x0, kInet = 0x1, kInet6 = 0x2, kUnix = 0x3;
constexpr uint8_t kStream = 0x1, kDgram = 0x2;
constexpr std::size_t kInetBlock = 12, kInet6Block = 36, kUnixBlock = 216;  // section 2.2

uint16_t load16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

ProxyParse fail(std::string& error, const char* what) {
    error = what;
    return ProxyParse::invalid;
}

// Section 2.2.7: type (1), length (2), value; each TLV must end inside the header.
bool tlvs_well_formed(std::span<const uint8_t> tlvs) {
    while (!tlvs.empty()) {
        if (tlvs.size() < 3) return false;
        std::size_t len = load16(&tlvs[1]);
        if (tlvs.size() < 3 + len) return false;
        tlvs = tlvs.subspan(3 + len);
    }
    return true;
}

void fill(sockaddr_storage& out, int family, const uint8_t* addr, const uint8_t* port) {
    out = {};
    if (family == AF_INET) {
        auto& a = reinterpret_cast<sockaddr_in&>(out);
        a.sin_family = AF_INET;
        std::memcpy(&a.sin_addr, addr, 4);
        std::memcpy(&a.sin_port, port, 2);  // both in network order
    } else {
        auto& a = reinterpret_cast<sockaddr_in6&>(out);
        a.sin6_family = AF_INET6;
        std::memcpy(&a.sin6_addr, addr, 16);
        std::memcpy(&a.sin6_port, port, 2);
    }
}

}  // namespace

ProxyParse parse_proxy_header(std::span<const uint8_t> data, ProxyHeader& out, std::string& error) {
    std::size_t have = std::min(data.size(), sizeof kProxyV2Signature);
    if (!std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(have),
                    kProxyV2Signature))
        return fail(error, "no PROXY v2 signature");
    if (data.size() < kFixed) return ProxyParse::incomplete;
    uint8_t ver_cmd = data[12], fam = data[13];
    if ((ver_cmd & 0xF0) != kVersion2) return fail(error, "PROXY header version is not 2");
    uint8_t command = ver_cmd & 0x0F, family = fam >> 4, transport = fam & 0x0F;
    if (command != kLocal && command != kProxy) return fail(error, "unknown PROXY command");
    std::size_t length = kFixed + load16(&data[14]);
    if (length > kProxyV2MaxLength) return fail(error, "PROXY header too long");
    if (data.size() < length) return ProxyParse::incomplete;
    std::size_t block = family == kInet    ? kInetBlock
                        : family == kInet6 ? kInet6Block
                        : family == kUnix  ? kUnixBlock
                                           : 0;
    if (family > kUnix || transport > kDgram) return fail(error, "unknown PROXY address family");
    if (length - kFixed < block) return fail(error, "PROXY address block too short");
    out = ProxyHeader{};
    out.length = length;
    out.datagram = transport == kDgram;
    // Section 2.2: with LOCAL or UNSPEC the rest of the header is skipped unread, whatever it
    // holds; UNIX names no routable client.
    if (command == kLocal || family == kUnspec || transport == kUnspec) return ProxyParse::ok;
    if (!tlvs_well_formed(data.subspan(kFixed + block, length - kFixed - block)))
        return fail(error, "malformed PROXY TLV");
    if (family == kUnix) return ProxyParse::ok;
    const uint8_t* a = &data[kFixed];
    std::size_t n = family == kInet ? 4 : 16;
    int af = family == kInet ? AF_INET : AF_INET6;
    fill(out.client, af, a, a + 2 * n);
    fill(out.destination, af, a + n, a + 2 * n + 2);
    out.has_client = true;
    return ProxyParse::ok;
}

std::string make_proxy_header(const sockaddr* client, const sockaddr* destination, bool datagram) {
    std::string h(reinterpret_cast<const char*>(kProxyV2Signature), sizeof kProxyV2Signature);
    bool v6 = client->sa_family == AF_INET6;
    h += static_cast<char>(kVersion2 | kProxy);
    h += static_cast<char>((v6 ? kInet6 : kInet) << 4 | (datagram ? kDgram : kStream));
    std::size_t block = v6 ? kInet6Block : kInetBlock;
    h += static_cast<char>(block >> 8);
    h += static_cast<char>(block & 0xFF);
    auto append = [&h](const void* p, std::size_t n) { h.append(static_cast<const char*>(p), n); };
    if (v6) {
        const auto* c = reinterpret_cast<const sockaddr_in6*>(client);
        const auto* d = reinterpret_cast<const sockaddr_in6*>(destination);
        append(&c->sin6_addr, 16);
        append(&d->sin6_addr, 16);
        append(&c->sin6_port, 2);
        append(&d->sin6_port, 2);
    } else {
        const auto* c = reinterpret_cast<const sockaddr_in*>(client);
        const auto* d = reinterpret_cast<const sockaddr_in*>(destination);
        append(&c->sin_addr, 4);
        append(&d->sin_addr, 4);
        append(&c->sin_port, 2);
        append(&d->sin_port, 2);
    }
    return h;
}

}  // namespace port53::transports
