#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS.
#   tools/fuzz.sh [SECONDS]      default 20: the smoke run ctest does; use 3600+ by hand
# Crashes land in build-fuzz/crashes/; the corpus grows in build-fuzz/corpus/.
set -eu
seconds=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
CXX=clang++ cmake -S "$root" -B "$out" -G Ninja -DPORT53_FUZZ=ON -DPORT53_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --target fuzz_query
mkdir -p "$out/corpus/query" "$out/crashes"
cp "$root"/test/fuzz/seeds/* "$out/corpus/query/" 2>/dev/null || true
"$out/test/fuzz/fuzz_query" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
    -artifact_prefix="$out/crashes/" "$out/corpus/query" 2>&1 | tail -n 4
