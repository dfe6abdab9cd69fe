// Keeps the blocklists of one BlockSource current while port53d runs: looks at the list
// files every `watch_interval` seconds (a changed size, mtime or inode: an edit or a new file
// moved in place) and downloads each URL's list every `url_refresh` seconds. When anything
// changed it loads all the lists afresh, off the workers, and swaps them in at once; answers
// cached meanwhile are kept (only those of names the old or new lists speak about are
// forgotten, by `replaced`). A list that fails to load or download leaves the last good
// version in place, with the reason in the log.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "filter/block_config.hpp"
#include "filter/download.hpp"

namespace port53::filter {

class ListUpdater {
  public:
    using Clock = std::chrono::system_clock;  // file times and download schedules outlive us
    // `cancelled` says whether to give up (shutting down).
    using Fetch =
        std::function<Download(const std::string& url, const std::function<bool()>& cancelled)>;
    using Replaced = std::function<void(const Policies& before, const Policies& after)>;

    ListUpdater(BlockSource& source, BlockSettings settings, Fetch fetch, Replaced replaced);
    ~ListUpdater();  // stops the thread
    ListUpdater(const ListUpdater&) = delete;
    ListUpdater& operator=(const ListUpdater&) = delete;

    // Updates from a thread of its own until destroyed.
    void start();
    // One round: downloads the lists that are due, looks at the files, and reloads if either
    // changed anything. Returns whether the lists were replaced.
    bool update(Clock::time_point now);
    // Whether the thread was asked to stop (for a download in progress).
    bool stopping() const;

    struct Stats {
        uint64_t reloads = 0, reload_failures = 0, downloads = 0, download_failures = 0;
    };
    Stats stats() const;

  private:
    struct FileStamp {
        std::string path;
        long long size = -1, mtime_ns = -1, inode = -1;
        bool operator==(const FileStamp&) const = default;
    };
    struct Url {
        std::string url;
        Clock::time_point next;  // when to download it again
    };
    static FileStamp stamp(const std::string& path);
    bool files_changed();
    bool download_due(Clock::time_point now);
    bool keep(const std::string& url, const std::string& body);
    void reload();
    void run();

    BlockSource& source_;
    BlockSettings settings_;
    Fetch fetch_;
    Replaced replaced_;
    std::vector<FileStamp> files_;
    std::vector<Url> urls_;
    mutable std::mutex mutex_;  // stats_, stop_
    std::condition_variable wake_;
    bool stop_ = false;
    Stats stats_;
    std::thread thread_;
};

}  // namespace port53::filter
