// Time as the caches and the validator see it: whole seconds on a monotonic clock,
// injectable for tests.
#pragma once
#include <cstdint>
#include <ctime>

namespace port53::base {

class Clock {
  public:
    virtual ~Clock() = default;
    virtual uint32_t now() const = 0;
    // Wall-clock Unix seconds, for DNSSEC signature validity windows.
    virtual uint32_t unix_now() const = 0;
};

// CLOCK_MONOTONIC_COARSE is read from the vDSO without a system call: cheap on the hot path.
class SteadyClock final : public Clock {
  public:
    uint32_t now() const override {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return static_cast<uint32_t>(ts.tv_sec) + kEpochOffset;
    }
    uint32_t unix_now() const override { return static_cast<uint32_t>(std::time(nullptr)); }

  private:
    // Keep "now" well above zero so "expires at 0" never reads as valid.
    static constexpr uint32_t kEpochOffset = 1'000'000;
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(uint32_t start = 1'000'000)
        : now_(start), unix_(static_cast<uint32_t>(std::time(nullptr))) {}
    uint32_t now() const override { return now_; }
    uint32_t unix_now() const override { return unix_; }
    void advance(uint32_t seconds) {
        now_ += seconds;
        unix_ += seconds;
    }

  private:
    uint32_t now_;
    uint32_t unix_;
};

}  // namespace port53::base
