// Asio's coroutine vocabulary. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which g++ 12 rejects; include it first, once, here.
//
// The rule every coroutine here follows (a coroutine's parameters live in its frame, but a
// reference parameter only points at the caller's object, which may be gone when the frame
// resumes):
// - A detached coroutine (co_spawn(..., detached)) runs on after its caller returns, and
//   its frame is destroyed only when it finishes or when its io_context is destroyed. It
//   takes its arguments by value (names, keys, buffers, shared_ptr to its connection), and
//   references (including `this` of a member coroutine) only to objects that outlive every
//   io_context: the Server, the Engine, the caches and the settings the daemon builds before
//   the workers (daemon/main.cpp and the member order of daemon::Workers make sure of it).
// - An awaited coroutine (co_await f(...)) finishes before its caller goes on, so it may
//   take references to its caller's locals (a Budget, a Delegation, a span of the query).
// - A lambda passed to co_spawn captures by value (e.g. self = shared_from_this()); the
//   coroutine it starts is a member of the captured object, which stays alive with it.
// - g++ 12: never pass a temporary of a class type by value to an awaited coroutine
//   (`co_await f(Question{...})`); it is destroyed twice (a double free). Name it and move
//   it in: `Question q{...}; co_await f(std::move(q));`. And no co_await inside &&, || or
//   ?: (test/check_co_await_in_conditions.py checks that one).
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
