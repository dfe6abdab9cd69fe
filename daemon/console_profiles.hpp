// Ready-made client set-ups for this resolver (issue 14), generated from the running
// configuration: an Apple DNS-settings profile (.mobileconfig) for DoH or DoT, Android's
// Private DNS host name, and Firefox's and Chromium's settings.
#pragma once
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace port53::daemon {

struct ClientProfileInputs {
    std::string name;                    // the certificate's name ("dns.home.arpa")
    std::string doh_url;                 // "https://dns.home.arpa/dns-query"; empty: no DoH
    std::string dot_host;                // DoT on port 853 (what Android can use); empty: none
    std::vector<std::string> addresses;  // specific DoT/DoH listen addresses
};
// Empty `name` when the resolver has none (no certificate name and no ddr.name): then no
// profile can be verified by a client and none is offered.
ClientProfileInputs client_profile_inputs(const conf::Config& cfg);

// {"name":..,"doh_url":..,"dot_host":..,"android_private_dns":..,"firefox":{..},
//  "chromium_policy":{..}}
std::string profiles_json(const ClientProfileInputs& in);
// An Apple configuration profile (a plist) with one com.apple.dnsSettings.managed payload:
// DoH (`tls` false) or DoT. Its UUIDs come from the name, so installing a newer copy replaces
// the older one.
std::string apple_mobileconfig(const ClientProfileInputs& in, bool tls);

}  // namespace port53::daemon
