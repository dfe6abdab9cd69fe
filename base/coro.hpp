// Asio's coroutine vocabulary. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which g++ 12 rejects; include it first, once, here.
#pragma once
// The order of these two includes matters.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on

namespace port53::base {
template <typename T>
using awaitable = boost::asio::awaitable<T>;
}
