#include "base/counters.hpp"

#include <algorithm>
#include <string_view>

namespace port53::base {

namespace {

// (type number, name) of the slots, in slot order: RFC 1035 A, NS, CNAME, SOA, PTR, MX, TXT;
// RFC 3596 AAAA; RFC 2782 SRV; RFC 4034 DS, DNSKEY; RFC 9460 SVCB, HTTPS; ANY (255).
struct Slot {
    uint16_t type;
    const char* name;
};
constexpr std::array<Slot, kQtypeSlots> kSlots{{{1, "A"},
                                                {28, "AAAA"},
                                                {5, "CNAME"},
                                                {15, "MX"},
                                                {16, "TXT"},
                                                {2, "NS"},
                                                {6, "SOA"},
                                                {12, "PTR"},
                                                {33, "SRV"},
                                                {65, "HTTPS"},
                                                {64, "SVCB"},
                                                {43, "DS"},
                                                {48, "DNSKEY"},
                                                {255, "ANY"}}};

std::array<uint8_t, 256> make_table() {
    std::array<uint8_t, 256> t{};
    t.fill(static_cast<uint8_t>(kQtypeSlots));
    for (std::size_t i = 0; i < kSlots.size(); ++i) t[kSlots[i].type] = static_cast<uint8_t>(i);
    return t;
}

template <std::size_t N>
void add_all(std::array<uint64_t, N>& to, const std::array<OwnCounter, N>& from) {
    for (std::size_t i = 0; i < N; ++i) to[i] += from[i].get();
}

}  // namespace

const std::array<uint8_t, 256> CounterBlock::kQtypeTable = make_table();

void CounterBlock::upstream_rtt(uint64_t us) {
    auto it = std::lower_bound(kRttBoundsUs.begin(), kRttBoundsUs.end(), us);
    rtt[static_cast<std::size_t>(it - kRttBoundsUs.begin())].add();
    rtt_sum_us.add(us);
}

void CounterTotals::add(const CounterBlock& b) {
    add_all(queries, b.queries);
    add_all(qtypes, b.qtypes);
    add_all(rcodes, b.rcodes);
    add_all(ede, b.ede);
    cache_hits += b.cache_hits.get();
    cache_misses += b.cache_misses.get();
    add_all(refused, b.refused);
    rate_limit_slips += b.rate_limit_slips.get();
    add_all(connections, b.connections);
    add_all(tls_handshakes, b.tls_handshakes);
    upstream_queries += b.upstream_queries.get();
    upstream_timeouts += b.upstream_timeouts.get();
    upstream_tcp_fallbacks += b.upstream_tcp_fallbacks.get();
    add_all(rtt, b.rtt);
    rtt_sum_us += b.rtt_sum_us.get();
    add_all(validation, b.validation);
    add_all(shared, b.shared);
}

uint64_t CounterTotals::total_queries() const {
    uint64_t n = 0;
    for (uint64_t q : queries) n += q;
    return n;
}

const char* qtype_name(std::size_t slot) {
    return slot < kQtypeSlots ? kSlots[slot].name : "other";
}

const char* transport_name(Transport t) {
    static constexpr std::array<std::string_view, kTransports> kNames{"udp", "tcp", "dot", "doh"};
    return kNames[static_cast<std::size_t>(t)].data();
}

const char* refusal_name(Refusal r) {
    static constexpr std::array<std::string_view, kRefusals> kNames{
        "acl", "rate_limit", "connection_cap", "tunnel", "overload", "proxy"};
    return kNames[static_cast<std::size_t>(r)].data();
}

const char* validation_name(Validation v) {
    static constexpr std::array<std::string_view, kValidations> kNames{"secure", "insecure",
                                                                       "bogus", "indeterminate"};
    return kNames[static_cast<std::size_t>(v)].data();
}

const char* shared_name(Shared s) {
    static constexpr std::array<std::string_view, kSharedResults> kNames{
        "hit", "miss", "timeout", "error", "invalid", "rejected", "written", "dropped"};
    return kNames[static_cast<std::size_t>(s)].data();
}

CounterBlock& CounterRegistry::add_block(int worker) {
    auto block = std::make_unique<CounterBlock>();
    CounterBlock& b = *block;
    std::lock_guard lock(mutex_);
    blocks_.emplace_back(worker, std::move(block));
    return b;
}

CounterTotals CounterRegistry::totals() const {
    CounterTotals t;
    std::lock_guard lock(mutex_);
    for (const auto& [worker, block] : blocks_) t.add(*block);
    return t;
}

std::vector<std::pair<int, uint64_t>> CounterRegistry::per_worker() const {
    std::vector<std::pair<int, uint64_t>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [worker, block] : blocks_) {
        if (worker < 0) continue;
        uint64_t n = 0;
        for (const auto& q : block->queries) n += q.get();
        auto it = std::find_if(out.begin(), out.end(),
                               [w = worker](const auto& p) { return p.first == w; });
        if (it == out.end())
            out.emplace_back(worker, n);
        else
            it->second += n;  // a worker number bound twice (a test's second daemon)
    }
    std::sort(out.begin(), out.end());
    return out;
}

CounterRegistry& counter_registry() {
    static CounterRegistry registry;
    return registry;
}

CounterBlock& register_counting_thread(int worker) {
    t_counters = &counter_registry().add_block(worker);
    return *t_counters;
}

}  // namespace port53::base
