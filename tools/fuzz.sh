#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS.
#   tools/fuzz.sh [SECONDS] [TARGET...]   default 20 s each: the smoke run ctest does;
#                                          use 3600+ by hand. Targets: fuzz_query fuzz_doh fuzz_config
#                                          fuzz_rdata fuzz_lists fuzz_cache_file fuzz_anchor_state
#                                          fuzz_loadgen fuzz_proxy fuzz_shared_entry
# Crashes land in build-fuzz/crashes/; the corpora grow in build-fuzz/corpus/<target>/.
set -eu
seconds=${1:-20}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_query fuzz_doh fuzz_config fuzz_rdata fuzz_lists fuzz_cache_file fuzz_anchor_state fuzz_loadgen fuzz_proxy fuzz_shared_entry}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
CXX=clang++ cmake -S "$root" -B "$out" -G Ninja -DPORT53_FUZZ=ON -DPORT53_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --target $targets
mkdir -p "$out/crashes"
for t in $targets; do
    case $t in
        fuzz_query) seeds=seeds ;;
        fuzz_doh) seeds=seeds-doh ;;
        fuzz_config) seeds=seeds-config ;;
        fuzz_rdata) seeds=seeds-rdata ;;
        fuzz_lists) seeds=seeds-lists ;;
        fuzz_cache_file) seeds=seeds-cachefile ;;
        fuzz_anchor_state) seeds=seeds-anchor-state ;;
        fuzz_loadgen) seeds=seeds-loadgen ;;
        fuzz_proxy) seeds=seeds-proxy ;;
        fuzz_shared_entry) seeds=seeds-shared-entry ;;
        *) echo "fuzz.sh: unknown target $t" >&2; exit 2 ;;
    esac
    mkdir -p "$out/corpus/$t"
    # fuzz_query's corpus lived in corpus/query before there were two targets
    [ "$t" = fuzz_query ] && [ -d "$out/corpus/query" ] && cp "$out"/corpus/query/* "$out/corpus/$t/" 2>/dev/null || true
    cp "$root"/test/fuzz/$seeds/* "$out/corpus/$t/" 2>/dev/null || true
    echo "== $t"
    # a crash, leak or timeout makes the fuzzer exit non-zero: fail with its report
    if ! "$out/test/fuzz/$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
        -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" >"$out/$t.log" 2>&1; then
        tail -n 40 "$out/$t.log"
        exit 1
    fi
    tail -n 4 "$out/$t.log"
done
