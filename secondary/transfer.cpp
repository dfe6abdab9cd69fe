#include "secondary/transfer.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <memory>

#include "base/random.hpp"
#include "upstream/asio_address.hpp"
#include "wire/builder.hpp"
#include "wire/types.hpp"

namespace port53::secondary {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

uint64_t unix_now() {
    return static_cast<uint64_t>(std::time(nullptr));
}

std::vector<uint8_t> make_query(const TransferRequest& req, uint16_t qtype) {
    wire::MessageBuilder b;
    b.header(base::random_u16(), 0);  // RFC 5936 §4.1: a plain query, no RD
    b.question(req.apex, qtype, wire::cls::IN);
    // RFC 1995 §3: the IXFR query carries our SOA in the authority section.
    if (qtype == wire::type::IXFR && req.have) b.add(wire::Section::authority, *req.have);
    return b.take();
}

TransferResult failed(std::string why, bool tsig = false) {
    TransferResult r;
    r.why = std::move(why);
    r.tsig_failure = tsig;
    return r;
}

// One TCP exchange with the primary: the query out, then messages in until `take` says the
// response is complete. `take` returns false to stop with `out` failed.
class Exchange {
  public:
    Exchange(const TransferRequest& req, std::vector<uint8_t> query)
        : req_(req), query_(std::move(query)) {
        if (req_.key)
            verifier_.emplace(*req_.key, tsig_sign(query_, *req_.key, unix_now()), unix_now());
    }

    // The next message of the response, checked (ID, QR, RCODE, TSIG); nothing and
    // `result.why` set on failure.
    base::awaitable<std::optional<wire::Message>> next(tcp::socket& sock, TransferResult& result) {
        boost::system::error_code ec;
        auto redirect = asio::redirect_error(asio::use_awaitable, ec);
        uint8_t len[2];
        co_await asio::async_read(sock, asio::buffer(len), redirect);
        std::vector<uint8_t> buf(ec ? 0 : wire::load16(len));
        if (!ec) co_await asio::async_read(sock, asio::buffer(buf), redirect);
        if (ec) {
            result = failed("reading from " + req_.primary.to_string() + ": " + ec.message());
            co_return std::nullopt;
        }
        co_return check(buf, result);
    }

    std::optional<wire::Message> check(std::span<const uint8_t> buf, TransferResult& result) {
        auto msg = wire::parse_message(buf);
        if (!msg || msg->id != wire::load16(query_.data()) || !msg->has(wire::flag::QR)) {
            result = failed("a malformed or mismatched message");
            return std::nullopt;
        }
        if (verifier_) {
            verifier_->set_now(unix_now());
            TsigCheck c = verifier_->next(buf);
            if (c != TsigCheck::ok) {
                result = failed(std::string("TSIG: ") + tsig_check_text(c), true);
                return std::nullopt;
            }
        }
        if (msg->rcode() != wire::rcode::NOERROR) {
            result = failed("rcode " + std::to_string(msg->rcode()));
            return std::nullopt;
        }
        return msg;
    }

    base::awaitable<bool> send(tcp::socket& sock, TransferResult& result) {
        boost::system::error_code ec;
        auto redirect = asio::redirect_error(asio::use_awaitable, ec);
        tcp::endpoint peer(upstream::to_asio(req_.primary), req_.primary.port);
        co_await sock.async_connect(peer, redirect);
        uint8_t len[2];
        wire::store16(len, static_cast<uint16_t>(query_.size()));
        std::array<asio::const_buffer, 2> out{asio::buffer(len), asio::buffer(query_)};
        if (!ec) co_await asio::async_write(sock, out, redirect);
        if (ec) result = failed("connecting to " + req_.primary.to_string() + ": " + ec.message());
        co_return !ec;
    }

    // The last message must be signed (RFC 8945 §5.3.1).
    bool ended_signed() const { return !verifier_ || verifier_->last_signed(); }

  private:
    const TransferRequest& req_;
    std::vector<uint8_t> query_;
    std::optional<TsigVerifier> verifier_;
};

// The socket, closed when the exchange's time is up (the pending read then fails).
std::shared_ptr<tcp::socket> open_with_deadline(const asio::any_io_executor& ex,
                                                asio::steady_timer& timer,
                                                const TransferRequest& req) {
    auto sock = std::make_shared<tcp::socket>(ex);
    timer.expires_after(req.timeout);
    timer.async_wait([weak = std::weak_ptr<tcp::socket>(sock)](boost::system::error_code ec) {
        if (ec) return;
        if (auto s = weak.lock()) {
            boost::system::error_code ignored;
            s->close(ignored);
        }
    });
    return sock;
}

base::awaitable<TransferResult> read_transfer(Exchange& x, tcp::socket& sock,
                                              const TransferRequest& req) {
    TransferResult result;
    TransferStream stream(req.apex, req.have.has_value());
    for (;;) {
        auto msg = co_await x.next(sock, result);
        if (!msg) co_return result;
        for (const auto& r : msg->answer)
            if (!stream.add(r)) co_return failed("the transfer's records are out of order");
        if (stream.complete_after_message()) break;
    }
    if (!x.ended_signed()) co_return failed("TSIG: the last message is not signed", true);
    result.serial = stream.serial();
    switch (stream.form()) {
        case TransferStream::Form::single_soa:
            result.kind = TransferResult::Kind::up_to_date;
            break;
        case TransferStream::Form::full:
            result.kind = TransferResult::Kind::full;
            result.zone = stream.take_zone();
            break;
        case TransferStream::Form::incremental:
            result.kind = TransferResult::Kind::incremental;
            result.diffs = stream.take_diffs();
            break;
        case TransferStream::Form::unknown:
            co_return failed("an empty transfer");
    }
    co_return result;
}

}  // namespace

base::awaitable<TransferResult> query_soa(TransferRequest req) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    auto sock = open_with_deadline(ex, timer, req);
    Exchange x(req, make_query(req, wire::type::SOA));
    TransferResult result;
    bool sent = co_await x.send(*sock, result);
    if (!sent) co_return result;
    auto msg = co_await x.next(*sock, result);
    timer.cancel();
    if (!msg) co_return result;
    for (const auto& r : msg->answer) {
        auto f = soa_fields(r);
        if (f && r.owner == req.apex) {
            result.kind = TransferResult::Kind::up_to_date;
            result.soa = r;
            result.serial = f->serial;
            co_return result;
        }
    }
    co_return failed("no SOA for " + req.apex.to_text() + " in the answer");
}

base::awaitable<TransferResult> transfer(TransferRequest req) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    auto sock = open_with_deadline(ex, timer, req);
    Exchange x(req, make_query(req, req.have ? wire::type::IXFR : wire::type::AXFR));
    TransferResult result;
    bool sent = co_await x.send(*sock, result);
    if (!sent) co_return result;
    result = co_await read_transfer(x, *sock, req);
    timer.cancel();
    co_return result;
}

}  // namespace port53::secondary
