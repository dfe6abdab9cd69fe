// The client behind a reverse proxy: X-Forwarded-For is believed only when the connection
// comes from a configured proxy, and only as far back as the chain stays within them.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <string_view>
#include <vector>

namespace port53::transports {

// `peer` is the TCP peer; `header` the X-Forwarded-For value ("client, proxy1, proxy2"),
// possibly empty. Walks the list right to left past trusted proxies; the first address
// that is not one is the client. Unparsable entries stop the walk at the last trusted hop.
boost::asio::ip::address forwarded_client(const boost::asio::ip::address& peer,
                                          std::string_view header,
                                          const std::vector<boost::asio::ip::address>& trusted);

}  // namespace port53::transports
