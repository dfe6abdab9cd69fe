#!/bin/sh
# Builds the unit tests, the replay tests, port53d, port53-ctl and port53-load with AddressSanitizer (leaks included)
# and UndefinedBehaviorSanitizer (g++, build-asan/) and runs them: every unit test, every
# replay scenario, then the integration suite against the sanitized port53d.
#   tools/sanitize.sh [pytest args]    e.g. -k cname (default: the whole integration suite)
# Any sanitizer report fails the run; reports are kept in build-asan/reports/.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=${SANITIZE_BUILD_DIR:-$root/build-asan}
cmake -S "$root" -B "$out" -G Ninja -DPORT53_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >/dev/null || exit 1
cmake --build "$out" --target unit_tests replay_tests port53d port53-ctl port53-load || exit 1

# Each sanitized process writes its reports to a file of its own (the daemon's output goes
# to the tests' logs); the directory is writable after port53d drops its privileges.
reports=$out/reports
rm -rf "$reports" && mkdir -p "$reports" && chmod 1777 "$reports"
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"

failed=""
echo "== unit tests"
"$out/test/unit_tests" || failed="$failed unit"
echo "== replay scenarios"
if "$out/test/replay_tests" "$root/test/replay/scenarios/" >"$out/replay.log" 2>&1; then
    tail -n 1 "$out/replay.log"
else
    grep -v '^PASS' "$out/replay.log" | tail -n 60
    failed="$failed replay"
fi
echo "== integration suite"
PORT53D="$out/port53d" "$root/test/integration/run.sh" -q "$@" || failed="$failed integration"

if [ -n "$(ls -A "$reports")" ]; then
    for f in "$reports"/*; do echo "== $f"; cat "$f"; done
    failed="$failed reports"
fi
if [ -n "$failed" ]; then
    echo "sanitize.sh: failed:$failed" >&2
    exit 1
fi
echo "sanitize.sh: no sanitizer reports"
