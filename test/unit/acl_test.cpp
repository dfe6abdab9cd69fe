#include "server/acl.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>

using namespace port53::server;

namespace {
AclAction check(const Acl& acl, const char* ip) {
    sockaddr_storage ss{};
    if (std::strchr(ip, ':')) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &s6->sin6_addr);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, ip, &s4->sin_addr);
    }
    return acl.check(reinterpret_cast<sockaddr*>(&ss));
}
}  // namespace

TEST_CASE("the most specific rule wins and strangers are refused", "[acl]") {
    Acl acl = Acl::parse({"10.0.0.0/8 allow", "10.1.0.0/16 deny", "10.1.2.0/24 refuse",
                          "2001:db8::/32 allow", "192.0.2.1 allow"});
    CHECK(check(acl, "10.9.9.9") == AclAction::allow);
    CHECK(check(acl, "10.1.9.9") == AclAction::deny);
    CHECK(check(acl, "10.1.2.3") == AclAction::refuse);
    CHECK(check(acl, "192.0.2.1") == AclAction::allow);
    CHECK(check(acl, "192.0.2.2") == AclAction::refuse);
    CHECK(check(acl, "2001:db8::5") == AclAction::allow);
    CHECK(check(acl, "2001:db9::5") == AclAction::refuse);
    // An IPv4 client on a dual-stack socket is judged by its IPv4 address.
    CHECK(check(acl, "::ffff:10.9.9.9") == AclAction::allow);
}

TEST_CASE("bad rules are rejected", "[acl]") {
    CHECK_THROWS_AS(Acl::parse({"10.0.0.0/8"}), std::invalid_argument);
    CHECK_THROWS_AS(Acl::parse({"10.0.0.0/40 allow"}), std::invalid_argument);
    CHECK_THROWS_AS(Acl::parse({"nonsense allow"}), std::invalid_argument);
    CHECK_THROWS_AS(Acl::parse({"10.0.0.0/8 allow now"}), std::invalid_argument);
}
