#include "filter/list_updater.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/log.hpp"
#include "filter/policies.hpp"

namespace port53::filter {

namespace {

constexpr std::chrono::seconds kRetry{300};  // after a failed download, unless refresh is sooner

}  // namespace

ListUpdater::ListUpdater(BlockSource& source, BlockSettings settings, Fetch fetch,
                         Replaced replaced)
    : source_(source),
      settings_(std::move(settings)),
      fetch_(std::move(fetch)),
      replaced_(std::move(replaced)) {
    for (const auto* paths : {&settings_.files, &settings_.allow_files, &settings_.rpz_files})
        for (const auto& path : *paths) files_.push_back(stamp(path));
    // A copy on disk is as old as its file: a restart does not download it again early.
    for (const auto* urls : {&settings_.urls, &settings_.allow_urls}) {
        for (const auto& url : *urls) {
            Clock::time_point next{};
            std::error_code ec;
            auto written =
                std::filesystem::last_write_time(downloaded_copy(settings_.download_dir, url), ec);
            if (!ec)
                next = std::chrono::time_point_cast<Clock::duration>(
                           std::chrono::file_clock::to_sys(written)) +
                       std::chrono::seconds(settings_.url_refresh);
            urls_.push_back({url, next});
        }
    }
}

ListUpdater::~ListUpdater() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

ListUpdater::FileStamp ListUpdater::stamp(const std::string& path) {
    FileStamp s{path};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return s;  // gone: changed once it is back
    s.size = st.st_size;
    s.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.inode = static_cast<long long>(st.st_ino);
    return s;
}

bool ListUpdater::files_changed() {
    bool changed = false;
    for (auto& f : files_) {
        FileStamp now = stamp(f.path);
        if (now == f) continue;
        P53_LOG(info, "blocklist " << f.path << " changed");
        f = now;
        changed = true;
    }
    return changed;
}

// A download replaces the copy only if it holds names: an error page served with status 200
// must not empty a list.
bool ListUpdater::keep(const std::string& url, const std::string& body) {
    Blocklist scratch;
    ListStats st = scratch.add_text(body, false);
    if (st.blocked + st.allowed == 0) {
        P53_LOG(warning,
                "blocklist " << url << ": the download holds no names; kept the last copy");
        return false;
    }
    std::error_code ec;
    std::filesystem::create_directories(settings_.download_dir, ec);
    std::string path = downloaded_copy(settings_.download_dir, url);
    std::string tmp = path + ".new";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        if (!out.flush()) {
            P53_LOG(error, "blocklist " << url << ": cannot write " << tmp);
            return false;
        }
    }
    std::filesystem::rename(tmp, path, ec);  // atomic: a crash leaves the old copy or the new
    if (ec)
        P53_LOG(error, "blocklist " << url << ": cannot write " << path << ": " << ec.message());
    return !ec;
}

bool ListUpdater::download_due(Clock::time_point now) {
    bool changed = false;
    for (auto& u : urls_) {
        if (now < u.next || stopping()) continue;
        Download d = fetch_(u.url, [this] { return stopping(); });
        bool kept = d.ok && keep(u.url, d.body);
        {
            std::lock_guard lock(mutex_);
            ++(kept ? stats_.downloads : stats_.download_failures);
        }
        auto refresh = std::chrono::seconds(settings_.url_refresh);
        u.next = now + (kept ? refresh : std::min<std::chrono::seconds>(refresh, kRetry));
        if (!d.ok) P53_LOG(warning, "blocklist " << u.url << ": download failed: " << d.error);
        if (kept)
            P53_LOG(info, "blocklist " << u.url << ": downloaded " << d.body.size() << " bytes");
        changed |= kept;
    }
    return changed;
}

void ListUpdater::reload() {
    try {
        std::shared_ptr<const Policies> before = source_.policies();
        std::shared_ptr<const Policies> after = load_policies(settings_);
        source_.replace(after);
        if (replaced_) replaced_(*before, *after);
        std::lock_guard lock(mutex_);
        ++stats_.reloads;
    } catch (const std::exception& e) {
        P53_LOG(error, "blocklists not reloaded, the previous ones stay: " << e.what());
        std::lock_guard lock(mutex_);
        ++stats_.reload_failures;
    }
}

bool ListUpdater::update(Clock::time_point now) {
    bool downloaded = download_due(now);
    bool edited = settings_.watch_interval > 0 && files_changed();
    if (!downloaded && !edited) return false;
    reload();
    return true;
}

bool ListUpdater::stopping() const {
    std::lock_guard lock(mutex_);
    return stop_;
}

ListUpdater::Stats ListUpdater::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void ListUpdater::start() {
    if (urls_.empty() && (files_.empty() || settings_.watch_interval == 0)) return;
    thread_ = std::thread([this] { run(); });
}

void ListUpdater::run() {
    // Files are looked at every watch_interval; downloads are checked at least every minute.
    auto tick = std::chrono::seconds(
        settings_.watch_interval > 0 ? std::min<uint32_t>(settings_.watch_interval, 60) : 60);
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        update(Clock::now());
        lock.lock();
        wake_.wait_for(lock, tick, [this] { return stop_; });
    }
}

}  // namespace port53::filter
