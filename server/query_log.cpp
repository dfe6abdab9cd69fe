#include "server/query_log.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "base/log.hpp"
#include "wire/name.hpp"
#include "wire/opt_view.hpp"
#include "wire/types.hpp"

namespace port53::server {

namespace {

constexpr auto kDrainEvery = std::chrono::milliseconds(100);
std::atomic<uint64_t> g_next_id{1};

// The bits beyond `prefix` zeroed.
void cut(uint8_t* bytes, std::size_t len, int prefix) {
    for (std::size_t i = 0; i < len; ++i) {
        int keep = std::clamp(prefix - static_cast<int>(i * 8), 0, 8);
        bytes[i] &= static_cast<uint8_t>(0xFF00 >> keep);
    }
}

const char* transport_text(ClientTransport t) {
    switch (t) {
        case ClientTransport::udp:
            return "udp";
        case ClientTransport::tcp:
            return "tcp";
        case ClientTransport::dot:
            return "dot";
        case ClientTransport::doh:
            return "doh";
    }
    return "?";
}

std::string name_text(std::span<const uint8_t> wire) {
    auto n = wire::Name::from_wire(
        std::string_view(reinterpret_cast<const char*>(wire.data()), wire.size()));
    return n ? n->to_text() : std::string("?");
}

// "2026-12-02T03:04:05.123456Z" (RFC 3339, UTC).
void append_time(std::string& out, int64_t unix_us) {
    time_t secs = static_cast<time_t>(unix_us / 1'000'000);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                  static_cast<int>(unix_us % 1'000'000));
    out += buf;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20 || c > 0x7e) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.push_back(ch);
        }
    }
    out.push_back('"');
}

std::string anonymised_address(const sockaddr* client, int v4_prefix, int v6_prefix) {
    char text[INET6_ADDRSTRLEN] = {};
    if (client && client->sa_family == AF_INET) {
        in_addr a = reinterpret_cast<const sockaddr_in*>(client)->sin_addr;
        cut(reinterpret_cast<uint8_t*>(&a), sizeof a, v4_prefix);
        inet_ntop(AF_INET, &a, text, sizeof text);
    } else if (client && client->sa_family == AF_INET6) {
        in6_addr a = reinterpret_cast<const sockaddr_in6*>(client)->sin6_addr;
        cut(a.s6_addr, sizeof a.s6_addr, v6_prefix);
        inet_ntop(AF_INET6, &a, text, sizeof text);
    }
    return text;
}

std::string format_query_line(const QueryRecord& r, const QueryLogSettings& s) {
    std::string out = "{\"time\":\"";
    append_time(out, r.unix_us);
    out += "\",\"client\":";
    append_json_string(out,
                       anonymised_address(r.client, s.anonymise_v4_prefix, s.anonymise_v6_prefix));
    out += ",\"transport\":\"";
    out += transport_text(r.transport);
    out += "\",\"name\":";
    append_json_string(out, name_text(r.qname));
    out += ",\"type\":" + std::to_string(r.qtype) + ",\"rcode\":" + std::to_string(r.rcode);
    if (r.ede >= 0) out += ",\"ede\":" + std::to_string(r.ede);
    out += r.cache_hit ? ",\"cache\":true" : ",\"cache\":false";
    out += ",\"latency_us\":" + std::to_string(r.latency_us) + "}\n";
    return out;
}

ReplySummary summarise_reply(std::span<const uint8_t> reply) {
    ReplySummary s;
    if (reply.size() < wire::kHeaderSize) return s;
    s.rcode = wire::load16(&reply[2]) & 0xF;
    auto opt = wire::find_opt(reply);
    if (!opt) return s;
    // RFC 6891 §6.1.3: the OPT TTL's top byte holds the upper eight bits of the RCODE.
    std::size_t ttl_at = opt->rdlen_at - 4;
    s.rcode = static_cast<uint16_t>(s.rcode | reply[ttl_at] << 4);
    auto ede = wire::find_option(reply, *opt, wire::edns_option::EDE);
    if (ede && ede->size() >= 2) s.ede = wire::load16(ede->data());
    return s;
}

QueryLog::QueryLog(QueryLogSettings s)
    : settings_(std::move(s)), id_(g_next_id.fetch_add(1, std::memory_order_relaxed)) {
    open_file();
    writer_ = std::thread([this] { writer_loop(); });
}

QueryLog::~QueryLog() {
    {
        std::lock_guard lock(m_);
        stop_ = true;
    }
    wake_.notify_one();
    writer_.join();
    if (fd_ > 1) ::close(fd_);
}

void QueryLog::open_file() {
    if (settings_.file == "-") {
        fd_ = STDOUT_FILENO;
        return;
    }
    int fd = ::open(settings_.file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::runtime_error("query log " + settings_.file + ": " + std::strerror(errno));
    if (fd_ > 1) ::close(fd_);
    fd_ = fd;
}

QueryLog::Buffer& QueryLog::own_buffer() {
    // One buffer per thread and log; the id (not the address) tells a later log apart.
    thread_local uint64_t t_owner = 0;
    thread_local Buffer* t_buffer = nullptr;
    if (t_owner == id_ && t_buffer) return *t_buffer;
    std::lock_guard lock(m_);
    buffers_.push_back(std::make_unique<Buffer>());
    t_buffer = buffers_.back().get();
    t_owner = id_;
    return *buffers_.back();
}

void QueryLog::write(const QueryRecord& r) {
    std::string line = format_query_line(r, settings_);
    Buffer& b = own_buffer();
    std::lock_guard lock(b.m);
    if (b.lines.size() + line.size() > settings_.buffer_kb * 1024) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    b.lines += line;
}

void QueryLog::reopen() {
    {
        std::lock_guard lock(m_);
        reopen_ = true;
    }
    wake_.notify_one();
}

void QueryLog::flush() {
    std::unique_lock lock(m_);
    uint64_t ticket = ++flush_asked_;
    wake_.notify_one();
    drained_.wait(lock, [&] { return flush_done_ >= ticket || stop_; });
}

// Swaps each worker's lines out under its lock, then writes them with no lock held.
void QueryLog::drain(std::string& scratch) {
    std::vector<Buffer*> buffers;
    {
        std::lock_guard lock(m_);
        for (auto& b : buffers_) buffers.push_back(b.get());
    }
    for (Buffer* b : buffers) {
        {
            std::lock_guard lock(b->m);
            scratch.swap(b->lines);
        }
        if (scratch.empty()) continue;
        uint64_t lines = static_cast<uint64_t>(std::count(scratch.begin(), scratch.end(), '\n'));
        if (write_all(fd_, scratch))
            written_.fetch_add(lines, std::memory_order_relaxed);
        else
            dropped_.fetch_add(lines, std::memory_order_relaxed);
        scratch.clear();
    }
    uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped != dropped_reported_) {
        P53_LOG(warning, "query log: " << dropped - dropped_reported_
                                       << " line(s) dropped (disk too slow or full)");
        dropped_reported_ = dropped;
    }
}

void QueryLog::writer_loop() {
    std::string scratch;
    std::unique_lock lock(m_);
    while (true) {
        wake_.wait_for(lock, kDrainEvery,
                       [&] { return stop_ || reopen_ || flush_asked_ != flush_done_; });
        bool reopen = std::exchange(reopen_, false), stop = stop_;
        uint64_t asked = flush_asked_;
        lock.unlock();
        drain(scratch);
        if (reopen && settings_.file != "-") {
            try {
                open_file();
                P53_LOG(info, "query log reopened: " << settings_.file);
            } catch (const std::exception& e) {
                P53_LOG(warning, e.what() << "; still writing to the old file");
            }
        }
        lock.lock();
        flush_done_ = asked;
        drained_.notify_all();
        if (stop) return;
    }
}

}  // namespace port53::server
