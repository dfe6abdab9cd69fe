// [metrics]: where the Prometheus endpoint listens and who may scrape it (a plain struct, so
// conf/ reads it without Asio).
#pragma once
#include <string>
#include <vector>

namespace port53::transports {

struct MetricsSettings {
    std::vector<std::string> listen;  // "ip:port"; empty: no endpoint
    std::vector<std::string> acl = {"127.0.0.0/8 allow", "::1/128 allow"};
};

}  // namespace port53::transports
