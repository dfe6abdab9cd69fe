// Blocklists that change while port53d runs (filter/list_updater.hpp): edited files and
// downloaded lists reload every list at once, answers are counted per list across reloads,
// and a list that fails keeps the last good version.
#include "filter/list_updater.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cache/answer_cache.hpp"
#include "filter/policies.hpp"
#include "helpers.hpp"
#include "wire/types.hpp"

using namespace port53;
using namespace port53::test;
using namespace port53::wire;
namespace fs = std::filesystem;

namespace {

struct Dir {
    fs::path path = fs::temp_directory_path() /
                    ("p53-lists-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
    Dir() { fs::create_directories(path); }
    ~Dir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
    static inline int serial = 0;
};

bool blocked(const filter::BlockSource& src, const char* name) {
    return src.lookup(engine::SourceQuestion{Question{N(name), type::A, cls::IN}}).has_value();
}

// A download answered from `bodies` (an empty body: the server failed).
struct Downloads {
    std::map<std::string, std::string> bodies;
    int asked = 0;
    filter::ListUpdater::Fetch fetch() {
        return [this](const std::string& url, const std::function<bool()>&) {
            ++asked;
            const std::string& body = bodies[url];
            return body.empty() ? filter::Download{false, {}, "HTTP status 503"}
                                : filter::Download{true, body, {}};
        };
    }
};

}  // namespace

TEST_CASE("each list's answers are counted apart; a name in two lists counts for the first",
          "[blocklist][lists]") {
    Dir d;
    filter::BlockSettings s;
    s.block = {"config.example"};
    s.files = {d.write("a.txt", "ads.example\nboth.example\n"),
               d.write("b.txt", "0.0.0.0 track.example\n0.0.0.0 both.example\n")};
    auto src = filter::make_block_source(s);
    for (const char* n : {"x.ads.example.", "track.example.", "both.example.", "config.example."})
        CHECK(blocked(*src, n));
    auto counts = src->counts();
    REQUIRE(counts.size() == 3);
    CHECK(counts[0].list == "config");
    CHECK(counts[0].answers == 1);
    CHECK(counts[1].list == s.files[0]);
    CHECK(counts[1].answers == 2);
    CHECK(counts[2].answers == 1);
}

TEST_CASE("an edited list file is reloaded, counts go on, a broken one keeps the last",
          "[blocklist][lists]") {
    Dir d;
    filter::BlockSettings s;
    s.files = {d.write("list.txt", "ads.example\n")};
    s.rpz_files = {d.write("p.rpz", "$ORIGIN rpz.\n@ 60 SOA . . 1 1 1 1 1\nnx.example CNAME .\n")};
    auto src = filter::make_block_source(s);
    int replaced = 0;
    filter::ListUpdater up(*src, s, nullptr,
                           [&](const filter::Policies& before, const filter::Policies& after) {
                               ++replaced;
                               CHECK(before.speak_about(N("ads.example.").wire()));
                               CHECK(after.speak_about(N("new.example.").wire()));
                           });
    auto now = filter::ListUpdater::Clock::now();
    CHECK_FALSE(up.update(now));  // nothing changed
    CHECK(blocked(*src, "ads.example."));
    d.write("list.txt", "new.example\nmore.example\n");
    CHECK(up.update(now));
    CHECK(replaced == 1);
    CHECK_FALSE(blocked(*src, "ads.example."));
    CHECK(blocked(*src, "new.example."));
    CHECK(src->counts()[1].answers == 2);  // one before the reload, one after
    d.write("p.rpz", "no SOA here\n");     // a syntax error: the lists stay as they were
    CHECK(up.update(now));
    CHECK(blocked(*src, "nx.example."));
    CHECK(blocked(*src, "more.example."));
    CHECK(up.stats().reload_failures == 1);
}

TEST_CASE(
    "a downloaded list is kept on disk, refreshed on schedule, and a bad download "
    "leaves the last copy",
    "[blocklist][lists]") {
    Dir d;
    filter::BlockSettings s;
    s.urls = {"https://lists.example/ads.txt"};
    s.download_dir = (d.path / "copies").string();
    s.url_refresh = 3600;
    Downloads net;
    net.bodies[s.urls[0]] = "||ads.example^\n";
    auto src = filter::make_block_source(s);
    CHECK_FALSE(blocked(*src, "ads.example."));  // no copy yet
    filter::ListUpdater up(*src, s, net.fetch(), nullptr);
    auto t0 = filter::ListUpdater::Clock::now();
    CHECK(up.update(t0));
    CHECK(blocked(*src, "www.ads.example."));
    CHECK(fs::exists(filter::downloaded_copy(s.download_dir, s.urls[0])));
    CHECK_FALSE(up.update(t0 + std::chrono::seconds(10)));  // not due
    CHECK(net.asked == 1);
    net.bodies[s.urls[0]] = "<html>Service moved</html>\n";  // status 200, no names in it
    CHECK_FALSE(up.update(t0 + std::chrono::seconds(3601)));
    CHECK(blocked(*src, "ads.example."));
    net.bodies[s.urls[0]] = "";  // the server fails: tried again within 5 minutes
    CHECK_FALSE(up.update(t0 + std::chrono::seconds(7202)));
    net.bodies[s.urls[0]] = "tracker.example\n";
    CHECK(up.update(t0 + std::chrono::seconds(7202 + 300)));
    CHECK(blocked(*src, "tracker.example."));
    CHECK_FALSE(blocked(*src, "ads.example."));
    CHECK(up.stats().downloads == 2);
    CHECK(up.stats().download_failures == 2);
    // A restart loads the copy at once and does not download it again before it is due.
    auto again = filter::make_block_source(s);
    CHECK(blocked(*again, "tracker.example."));
    filter::ListUpdater later(*again, s, net.fetch(), nullptr);
    CHECK_FALSE(later.update(filter::ListUpdater::Clock::now()));
    CHECK(net.asked == 4);
}

TEST_CASE("only https URLs with a host are downloaded", "[blocklist][lists]") {
    CHECK(filter::check_download_url("https://lists.example/a.txt").empty());
    CHECK(filter::check_download_url("https://192.0.2.1:8443/a.txt").empty());
    CHECK_FALSE(filter::check_download_url("http://lists.example/a.txt").empty());
    CHECK_FALSE(filter::check_download_url("file:///etc/hosts").empty());
    CHECK_FALSE(filter::check_download_url("lists.example").empty());
}

TEST_CASE("the answer cache forgets the names it is told, whatever their type and bits",
          "[blocklist][lists]") {
    cache::AnswerCache answers(1 << 20, 4);
    cache::StoredAnswer a{{1, 2, 3}, 60};
    for (const char* n : {"ads.example.", "www.example.", "x.ads.example."}) {
        std::string key(N(n).wire());  // copied: wire() views into the temporary Name
        key += std::string("\0\1\0\1\0", 5);
        answers.store(key, a, 0);
        key.back() = 1;  // the DO bit
        answers.store(key, a, 0);
        key += '\3';  // the same answer kept for view 3 (server/views.hpp)
        answers.store(key, a, 0);
    }
    auto ads = N("ads.example.");
    std::size_t n = answers.forget_names([&](std::string_view name) {
        auto parsed = Name::from_wire(name);
        return parsed && parsed->is_subdomain_of(ads);
    });
    CHECK(n == 6);
    CHECK(answers.entries() == 3);
}
