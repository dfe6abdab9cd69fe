#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace port53::wire;
using port53::test::N;

TEST_CASE("names round-trip through text and compare without case", "[name]") {
    Name n = N("WWW.Example.ORG");
    CHECK(n.to_text() == "WWW.Example.ORG.");
    CHECK(n == N("www.example.org."));
    CHECK(n.label_count() == 3);
    CHECK(n.parent() == N("example.org"));
    CHECK(n.suffix(1) == N("org"));
    CHECK(N(".").is_root());
    CHECK(N("a\\.b.example").label_count() == 2);
    CHECK(N("a\\065.example").first_label() == "aA");
    CHECK_FALSE(Name::from_text("a..b"));
    CHECK_FALSE(Name::from_text(std::string(64, 'x') + ".example"));
}

TEST_CASE("subdomain checks follow label boundaries", "[name]") {
    CHECK(N("a.example.org").is_subdomain_of(N("example.org")));
    CHECK(N("example.org").is_subdomain_of(N("example.org")));
    CHECK(N("example.org").is_subdomain_of(N(".")));
    CHECK_FALSE(N("xexample.org").is_subdomain_of(N("example.org")));
    CHECK_FALSE(N("org").is_subdomain_of(N("example.org")));
}

TEST_CASE("DNAME substitution replaces the suffix", "[name]") {
    auto r = N("www.old.example").replace_suffix(N("old.example"), N("new.example.net"));
    REQUIRE(r);
    CHECK(*r == N("www.new.example.net"));
    CHECK_FALSE(N("www.other").replace_suffix(N("old.example"), N("x")));
}

TEST_CASE("compressed names are read and pointer loops rejected", "[name]") {
    // "example." at offset 0, then "www" + pointer to 0 at offset 9.
    std::vector<uint8_t> msg{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 3, 'w', 'w', 'w', 0xC0, 0};
    std::size_t pos = 9;
    CHECK(read_name(msg, pos) == N("www.example"));
    CHECK(pos == msg.size());
    std::vector<uint8_t> loop{0xC0, 0};
    pos = 0;
    CHECK_FALSE(read_name(loop, pos));
    std::vector<uint8_t> forward{0xC0, 2, 0};
    pos = 0;
    CHECK_FALSE(read_name(forward, pos));
    std::vector<uint8_t> truncated{5, 'a', 'b'};
    pos = 0;
    CHECK_FALSE(read_name(truncated, pos));
}

TEST_CASE("lower-casing reader writes the canonical key", "[name]") {
    std::vector<uint8_t> msg{3, 'W', 'w', 'W', 0};
    uint8_t out[255];
    std::size_t pos = 0;
    REQUIRE(read_name_lower(msg, pos, out) == 5);
    CHECK(std::string(reinterpret_cast<char*>(out), 5) == std::string("\3www\0", 5));
}

TEST_CASE("lower-casing reader: every byte value, long labels, compression", "[name]") {
    // Labels of 63, 63, 63 and 61 bytes (a 255-byte name) holding nearly every byte value:
    // only A-Z change.
    std::vector<uint8_t> msg;
    for (int label = 0; label < 4; ++label) {
        int len = label < 3 ? 63 : 61;
        msg.push_back(static_cast<uint8_t>(len));
        for (int i = 0; i < len; ++i) msg.push_back(static_cast<uint8_t>(label * 64 + i + 1));
    }
    msg.push_back(0);
    uint8_t out[255];
    std::size_t pos = 0;
    REQUIRE(read_name_lower(msg, pos, out) == 255);
    CHECK(pos == 255);
    for (std::size_t i = 0; i < 255; ++i) {
        uint8_t b = msg[i];
        CHECK(out[i] == (b >= 'A' && b <= 'Z' ? b + 32 : b));
    }
    // A name through a compression pointer: "\3WwW" then a pointer to "\3COM\0".
    std::vector<uint8_t> packed{3, 'C', 'O', 'M', 0, 3, 'W', 'w', 'W', 0xC0, 0};
    pos = 5;
    REQUIRE(read_name_lower(packed, pos, out) == 9);
    CHECK(pos == 11);
    CHECK(std::string(reinterpret_cast<char*>(out), 9) == std::string("\3www\3com\0", 9));
    // Too long (256 bytes) and cut short are refused either way.
    std::vector<uint8_t> too_long = msg;
    too_long.insert(too_long.end() - 1, {2, 'a', 'b'});
    pos = 0;
    CHECK_FALSE(read_name_lower(too_long, pos, out));
    std::vector<uint8_t> cut{3, 'a', 'b'};
    pos = 0;
    CHECK_FALSE(read_name_lower(cut, pos, out));
}

TEST_CASE("names from wire form are checked, not thrown", "[name]") {
    CHECK(Name::from_wire(std::string("\3www\7example\0", 13)) == N("www.example"));
    CHECK_FALSE(Name::from_wire(std::string("\3www", 4)));  // no root label
    CHECK_FALSE(Name::from_wire(std::string("\0\0", 2)));   // bytes after the root
    CHECK_FALSE(Name::from_wire(std::string(1, '\x40') + std::string(64, 'a') + '\0'));
    CHECK(N("example").wildcard() == N("*.example"));
    // 253 bytes with the root: "*." makes 255, the most a name may be; one more is too long.
    std::string label(63, 'a');
    auto long_name = N((label + "." + label + "." + label + "." + label.substr(0, 59)).c_str());
    CHECK(long_name.wildcard());
    auto longest = N((label + "." + label + "." + label + "." + label.substr(0, 60)).c_str());
    CHECK_FALSE(longest.wildcard());
}
