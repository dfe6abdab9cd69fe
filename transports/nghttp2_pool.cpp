#include "transports/nghttp2_pool.hpp"

#include <cstdlib>
#include <cstring>

namespace port53::transports {
namespace {

// Each block starts with its capacity (what the caller may use); the caller's part follows
// at 16 bytes, keeping malloc's alignment.
constexpr std::size_t kHeader = 16;

std::size_t& capacity_of(void* user) {
    return *reinterpret_cast<std::size_t*>(static_cast<char*>(user) - kHeader);
}

Nghttp2Pool& pool(void* user_data) {
    return *static_cast<Nghttp2Pool*>(user_data);
}

}  // namespace

Nghttp2Pool::Nghttp2Pool()
    : mem_{this, [](std::size_t size, void* ud) { return pool(ud).allocate(size); },
           [](void* p, void* ud) { pool(ud).release(p); },
           [](std::size_t n, std::size_t size, void* ud) -> void* {
               if (size != 0 && n > SIZE_MAX / size) return nullptr;
               void* p = pool(ud).allocate(n * size);
               if (p) std::memset(p, 0, n * size);
               return p;
           },
           [](void* p, std::size_t size, void* ud) { return pool(ud).reallocate(p, size); }} {}

Nghttp2Pool::~Nghttp2Pool() {
    for (Free* head : free_) {
        while (head) {
            Free* next = head->next;
            std::free(reinterpret_cast<char*>(head) - kHeader);
            head = next;
        }
    }
}

void* Nghttp2Pool::allocate(std::size_t size) {
    std::size_t cls = size == 0 ? 0 : (size - 1) / kClassBytes;
    if (cls < kClasses && free_[cls]) {
        Free* f = free_[cls];
        free_[cls] = f->next;
        kept_ -= (cls + 1) * kClassBytes;
        return f;
    }
    std::size_t capacity = cls < kClasses ? (cls + 1) * kClassBytes : size;
    char* raw = static_cast<char*>(std::malloc(kHeader + capacity));
    if (!raw) return nullptr;
    void* user = raw + kHeader;
    capacity_of(user) = capacity;
    return user;
}

void Nghttp2Pool::release(void* p) {
    if (!p) return;
    std::size_t capacity = capacity_of(p);
    std::size_t cls = capacity / kClassBytes - 1;
    bool pooled = capacity % kClassBytes == 0 && cls < kClasses;
    if (!pooled || kept_ + capacity > kMaxKept) {
        std::free(static_cast<char*>(p) - kHeader);
        return;
    }
    auto* f = static_cast<Free*>(p);
    f->next = free_[cls];
    free_[cls] = f;
    kept_ += capacity;
}

void* Nghttp2Pool::reallocate(void* p, std::size_t size) {
    if (!p) return allocate(size);
    if (size == 0) {
        release(p);
        return nullptr;
    }
    std::size_t capacity = capacity_of(p);
    if (size <= capacity) return p;
    void* bigger = allocate(size);
    if (!bigger) return nullptr;  // as realloc: the old block stays the caller's
    std::memcpy(bigger, p, capacity);
    release(p);
    return bigger;
}

}  // namespace port53::transports
