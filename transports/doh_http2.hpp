// DoH over HTTP/2 (RFC 8484 on RFC 9113) with nghttp2: many concurrent streams on one TLS
// connection, each a GET or POST answered when its resolution completes, in any order.
// Limits: SETTINGS_MAX_CONCURRENT_STREAMS, 64 KiB bodies, nghttp2's flood and
// rapid-reset defences, and a timeout for idle connections and stalled writes.
#pragma once
#include <nghttp2/nghttp2.h>

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/front_door.hpp"
#include "transports/doh_response.hpp"
#include "transports/http_stream.hpp"
#include "transports/nghttp2_pool.hpp"

namespace port53::transports {

class Http2Session : public std::enable_shared_from_this<Http2Session> {
  public:
    // `view`: the listener's view (0: none); a view's own DoH path wins over it.
    Http2Session(std::unique_ptr<TlsStream> stream, server::FrontDoor& front_door,
                 const DotDohSettings& settings, boost::asio::ip::tcp::endpoint peer,
                 server::ViewId view = 0);
    void start();

    // One HTTP/2 stream: the request as it arrives, then the response being sent.
    struct Stream {
        int32_t id = 0;  // 0: a free slot
        std::string method, path, content_type;
        std::string body;
        bool body_too_big = false;
        DohResponse response;
        std::size_t sent = 0;
    };

    // Open streams in slots kept for reuse: a stream's strings and answer buffer keep their
    // capacity for the next one, so once a connection has had as many streams at once as
    // it will, a request allocates nothing here (issue 13). Open streams are bounded by
    // SETTINGS_MAX_CONCURRENT_STREAMS, so finding one by a scan is short.
    class Streams {
      public:
        Stream* find(int32_t id);
        Stream& open(int32_t id);
        void close(int32_t id);

      private:
        std::vector<std::unique_ptr<Stream>> slots_;
    };

  private:
    struct SessionDeleter {
        void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
    };
    friend struct Http2Callbacks;

    base::awaitable<void> run();
    base::awaitable<void> write_loop();
    void flush();
    void arm_idle_timer();
    void wait_idle();
    void close();
    void handle_request(int32_t stream_id);
    void respond(int32_t stream_id);  // sends the stream's response

    std::unique_ptr<TlsStream> stream_;
    boost::asio::ip::tcp::endpoint peer_;  // for the ACL
    server::FrontDoor& front_door_;
    const DotDohSettings& settings_;
    server::ViewId view_;
    Nghttp2Pool pool_;  // before session_: nghttp2 frees into it as the session goes
    std::unique_ptr<nghttp2_session, SessionDeleter> session_;
    Streams streams_;
    std::vector<uint8_t> write_buf_;  // frames gathered for one write, kept for the next
    boost::asio::steady_timer idle_timer_;
    std::chrono::steady_clock::time_point idle_deadline_;
    bool idle_waiting_ = false;  // idle_timer_ has a wait in flight
    std::chrono::steady_clock::time_point write_started_;
    std::size_t resolving_ = 0;       // requests handed to the resolver, not yet answered
    std::size_t control_frames_ = 0;  // PING/SETTINGS/PRIORITY since a request or answer
    bool in_recv_ = false;            // nghttp2 forbids sending from inside its receive callbacks
    bool writing_ = false;
    bool closed_ = false;
};

}  // namespace port53::transports
