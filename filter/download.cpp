#include "filter/download.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace port53::filter {

namespace {

struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
    void operator()(char* s) const { curl_free(s); }
};
template <typename T>
using CurlPtr = std::unique_ptr<T, CurlFree>;

struct Target {
    std::string scheme, host, port, error;
};

Target parse_url(const std::string& url) {
    Target t;
    CurlPtr<CURLU> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        t.error = "not a URL";
        return t;
    }
    auto part = [&](CURLUPart which, unsigned flags, std::string& out) {
        char* raw = nullptr;
        if (curl_url_get(u.get(), which, &raw, flags) != CURLUE_OK) return false;
        CurlPtr<char> text(raw);
        out = text.get();
        return true;
    };
    if (!part(CURLUPART_SCHEME, 0, t.scheme) || t.scheme != "https")
        t.error = "only https URLs are downloaded";
    else if (!part(CURLUPART_HOST, 0, t.host) || t.host.empty())
        t.error = "no host in the URL";
    else
        part(CURLUPART_PORT, CURLU_DEFAULT_PORT, t.port);
    return t;
}

bool ip_literal(const std::string& host) {
    unsigned char buf[16];
    return host.starts_with('[') || inet_pton(AF_INET, host.c_str(), buf) == 1;
}

struct Sink {
    std::string body;
    std::size_t max;
    bool too_big = false;
};

size_t write_body(char* data, size_t, size_t n, void* user) {
    auto* sink = static_cast<Sink*>(user);
    if (sink->body.size() + n > sink->max) {
        sink->too_big = true;
        return 0;  // aborts the transfer
    }
    sink->body.append(data, n);
    return n;
}

int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* options = static_cast<const DownloadOptions*>(user);
    return options->cancelled && options->cancelled() ? 1 : 0;
}

void set_options(CURL* c, const DownloadOptions& o, Sink& sink) {
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // by hand: each host resolved by us
    curl_easy_setopt(c, CURLOPT_PROXY, "");           // no proxy from the environment
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // from a thread of our own
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(o.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "port53");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &o);
}

// One request, no redirects followed. `location`: where a 3xx answer points.
Download get_once(const std::string& url, const DownloadOptions& o, std::string& location) {
    Download d;
    Target t = parse_url(url);
    if (!t.error.empty()) return {false, {}, url + ": " + t.error};
    CurlPtr<curl_slist> pinned;
    if (!ip_literal(t.host)) {
        if (!o.resolve) return {false, {}, t.host + ": cannot resolve the host"};
        std::vector<std::string> addrs = o.resolve(t.host);
        if (addrs.empty()) return {false, {}, t.host + ": no address"};
        std::string entry = t.host + ":" + t.port + ":";
        for (std::size_t i = 0; i < addrs.size(); ++i) {
            bool v6 = addrs[i].find(':') != std::string::npos;
            entry += (i ? "," : "") + (v6 ? "[" + addrs[i] + "]" : addrs[i]);
        }
        pinned.reset(curl_slist_append(nullptr, entry.c_str()));
    }
    CurlPtr<CURL> c(curl_easy_init());
    if (!c) return {false, {}, "libcurl: cannot start"};
    Sink sink{{}, o.max_bytes};
    set_options(c.get(), o, sink);
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    if (pinned) curl_easy_setopt(c.get(), CURLOPT_RESOLVE, pinned.get());
    CURLcode rc = curl_easy_perform(c.get());
    if (sink.too_big) return {false, {}, "larger than " + std::to_string(o.max_bytes) + " bytes"};
    if (rc != CURLE_OK) return {false, {}, curl_easy_strerror(rc)};
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400) {
        char* next = nullptr;
        curl_easy_getinfo(c.get(), CURLINFO_REDIRECT_URL, &next);
        if (next) location = next;
    }
    if (status != 200) return {false, {}, "HTTP status " + std::to_string(status)};
    d.ok = true;
    d.body = std::move(sink.body);
    return d;
}

}  // namespace

std::string check_download_url(const std::string& url) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    return parse_url(url).error;
}

Download https_get(const std::string& url, const DownloadOptions& options) {
    check_download_url(url);  // initialises libcurl once
    std::string at = url;
    for (int redirects = 0; redirects <= 5; ++redirects) {
        std::string location;
        Download d = get_once(at, options, location);
        if (d.ok || location.empty()) return d;
        at = location;
    }
    return {false, {}, "more than 5 redirects"};
}

}  // namespace port53::filter
