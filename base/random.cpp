#include "base/random.hpp"

#include <sys/random.h>

#include <array>
#include <cstddef>

namespace port53::base {

uint16_t random_u16() {
    thread_local std::array<uint16_t, 512> pool;
    thread_local std::size_t next = pool.size();
    if (next == pool.size()) {
        std::size_t got = 0;
        auto* bytes = reinterpret_cast<char*>(pool.data());
        while (got < sizeof pool) {
            ssize_t n = getrandom(bytes + got, sizeof pool - got, 0);
            if (n > 0) got += static_cast<std::size_t>(n);
        }
        next = 0;
    }
    return pool[next++];
}

}  // namespace port53::base
