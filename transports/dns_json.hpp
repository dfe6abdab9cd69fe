// DNS answers as the JSON that Google's and Cloudflare's /resolve APIs return
// (application/dns-json).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace port53::transports {

// {"Status":0,"TC":false,...,"Question":[...],"Answer":[{"name","type","TTL","data"}]}.
// nullopt if `reply` is not a readable DNS message.
std::optional<std::string> dns_json(std::span<const uint8_t> reply);

}  // namespace port53::transports
