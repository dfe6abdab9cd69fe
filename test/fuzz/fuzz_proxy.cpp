// libFuzzer target: the PROXY v2 header parser (issue 15), on any bytes. A header it accepts
// lies within the input, and one naming a client is made again byte for byte from what was
// parsed (TLVs aside).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "transports/proxy_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using namespace port53::transports;
    ProxyHeader h;
    std::string error;
    ProxyParse r = parse_proxy_header(std::span<const uint8_t>(data, size), h, error);
    if (r == ProxyParse::invalid && error.empty()) std::abort();
    if (r != ProxyParse::ok) return 0;
    if (h.length < 16 || h.length > size || h.length > kProxyV2MaxLength) std::abort();
    if (!h.has_client) return 0;
    std::string again =
        make_proxy_header(reinterpret_cast<const sockaddr*>(&h.client),
                          reinterpret_cast<const sockaddr*>(&h.destination), h.datagram);
    // Same addresses and ports (bytes 16 on); the command byte may differ only if it was PROXY.
    std::size_t block = again.size() - 16;
    if (std::memcmp(again.data() + 16, data + 16, block) != 0) std::abort();
    return 0;
}
