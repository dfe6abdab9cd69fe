// Latency histogram: log-linear buckets (64 per power of two, so any value is kept within
// 1/64 of itself), a fixed array, no allocation per recorded value.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace port53::loadgen {

class Histogram {
  public:
    static constexpr unsigned kSubBits = 6;
    static constexpr std::size_t kSub = std::size_t{1} << kSubBits;
    static constexpr std::size_t kBuckets = (64 - kSubBits) * kSub + kSub;
    static_assert(kBuckets == 59 * 64);

    void record(uint64_t ns);
    void merge(const Histogram& other);

    uint64_t count() const { return count_; }
    uint64_t min() const { return count_ ? min_ : 0; }
    uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
    double stddev() const;
    // The value below which `p` percent of the recorded values lie (nearest rank), as the
    // middle of its bucket, clamped to [min, max]; 0 if nothing was recorded.
    uint64_t percentile(double p) const;

    static std::size_t bucket_of(uint64_t v);
    static uint64_t bucket_low(std::size_t b);
    static uint64_t bucket_width(std::size_t b);

  private:
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t count_ = 0;
    uint64_t min_ = UINT64_MAX;
    uint64_t max_ = 0;
    unsigned __int128 sum_ = 0;
    long double sum_sq_ = 0;
};

}  // namespace port53::loadgen
