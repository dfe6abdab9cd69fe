// port53-load's command line into a Config (getopt_long; dnsperf's letters where dnsperf
// has the option).
#pragma once
#include <string>

#include "tools/loadgen/load.hpp"
#include "tools/loadgen/query_file.hpp"

namespace port53::loadgen {

struct Options {
    Config cfg;
    QueryOptions query;
    std::string query_file;
    bool help = false;
};

// False (and `error` says why) for anything unusable, including a run without a bound
// (neither -l nor -n).
bool parse_options(int argc, char** argv, Options& out, std::string& error);
const char* usage_text();

}  // namespace port53::loadgen
