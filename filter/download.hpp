// Downloads a list over HTTPS (libcurl), the certificate verified against the system's CAs or
// a given file. The host name is resolved by the caller's `resolve` (port53d asks its own
// engine), never by the system resolver: a resolver whose /etc/resolv.conf points at itself
// must not depend on itself being up before it is, and no lookup may leave by another path.
// Redirects are followed by hand, up to 5, each new host resolved the same way, and only to
// https URLs.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace port53::filter {

struct DownloadOptions {
    std::string ca_file;  // empty: the system's CAs
    // The addresses (text) of a host name; empty: it has none.
    std::function<std::vector<std::string>(const std::string& host)> resolve;
    // Asked while a download runs: true aborts it (shutting down).
    std::function<bool()> cancelled;
    std::chrono::seconds timeout{120};
    std::size_t max_bytes = std::size_t{256} << 20;
};

struct Download {
    bool ok = false;
    std::string body;   // ok: what the server sent
    std::string error;  // !ok: why, for the log
};

Download https_get(const std::string& url, const DownloadOptions& options);

// Empty if `url` is one https_get() can fetch (https, a host), else why not (for the
// config check).
std::string check_download_url(const std::string& url);

}  // namespace port53::filter
