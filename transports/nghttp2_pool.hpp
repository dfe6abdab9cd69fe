// nghttp2's own allocations for one HTTP/2 session, recycled: nghttp2 allocates for each
// stream it opens, each header block it decodes or encodes and each frame it queues, and
// frees them soon after. Freed blocks go onto free lists by size class and serve the next
// request (issue 13: no allocation per DoH query). What a session keeps is bounded; the
// rest goes back to the C library. One session, one thread: no lock.
#pragma once
#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>

namespace port53::transports {

class Nghttp2Pool {
  public:
    Nghttp2Pool();
    ~Nghttp2Pool();
    Nghttp2Pool(const Nghttp2Pool&) = delete;
    Nghttp2Pool& operator=(const Nghttp2Pool&) = delete;

    // For nghttp2_session_server_new3; valid as long as the pool.
    nghttp2_mem* mem() { return &mem_; }

    void* allocate(std::size_t size);
    void release(void* p);
    void* reallocate(void* p, std::size_t size);
    std::size_t kept_bytes() const { return kept_; }

    static constexpr std::size_t kClassBytes = 64;  // size classes 64, 128, ... 1024
    static constexpr std::size_t kClasses = 16;
    static constexpr std::size_t kMaxKept = std::size_t{128} * 1024;

  private:
    struct Free {
        Free* next;
    };
    std::array<Free*, kClasses> free_{};
    std::size_t kept_ = 0;
    nghttp2_mem mem_;
};

}  // namespace port53::transports
