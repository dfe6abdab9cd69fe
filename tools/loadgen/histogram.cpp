#include "tools/loadgen/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace port53::loadgen {

// Values below 2 * kSub have a bucket each; above, a power of two [2^m, 2^(m+1)) is cut
// into kSub buckets of width 2^(m - kSubBits).
std::size_t Histogram::bucket_of(uint64_t v) {
    if (v < 2 * kSub) return static_cast<std::size_t>(v);
    std::size_t msb = 63u - static_cast<std::size_t>(__builtin_clzll(v));
    std::size_t shift = msb - kSubBits;
    return (shift + 1) * kSub + static_cast<std::size_t>((v >> shift) - kSub);
}

uint64_t Histogram::bucket_low(std::size_t b) {
    if (b < 2 * kSub) return b;
    std::size_t shift = b / kSub - 1;
    return static_cast<uint64_t>(b % kSub + kSub) << shift;
}

uint64_t Histogram::bucket_width(std::size_t b) {
    if (b < 2 * kSub) return 1;
    return uint64_t{1} << (b / kSub - 1);
}

void Histogram::record(uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++count_;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
    sum_ += ns;
    sum_sq_ += static_cast<long double>(ns) * static_cast<long double>(ns);
}

void Histogram::merge(const Histogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
    sum_sq_ += other.sum_sq_;
}

double Histogram::stddev() const {
    if (count_ < 2) return 0.0;
    long double n = static_cast<long double>(count_);
    long double m = static_cast<long double>(sum_) / n;
    long double var = sum_sq_ / n - m * m;
    return var > 0 ? static_cast<double>(std::sqrt(var)) : 0.0;
}

uint64_t Histogram::percentile(double p) const {
    if (count_ == 0) return 0;
    // nearest rank: the smallest value with at least p% of values at or below it
    auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
        seen += counts_[b];
        if (seen >= rank) {
            uint64_t mid = bucket_low(b) + bucket_width(b) / 2;
            return std::clamp(mid, min_, max_);
        }
    }
    return max_;
}

}  // namespace port53::loadgen
