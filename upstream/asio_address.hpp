// ServerAddr as an Asio address, for the socket code of asio_network.cpp and tls_upstream.cpp.
#pragma once
#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "upstream/address.hpp"

namespace port53::upstream {

inline boost::asio::ip::address to_asio(const ServerAddr& a) {
    if (a.v6) {
        boost::asio::ip::address_v6::bytes_type b;
        std::copy(a.ip.begin(), a.ip.end(), b.begin());
        return boost::asio::ip::address_v6(b);
    }
    return boost::asio::ip::address_v4({a.ip[0], a.ip[1], a.ip[2], a.ip[3]});
}

}  // namespace port53::upstream
