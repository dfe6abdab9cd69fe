#!/bin/bash
# Integration tests: starts the loopback DNS lab and a resolver, runs pytest.
#   test/integration/run.sh [pytest args]          # tests build/port53d
#   RESOLVER=unbound test/integration/run.sh       # checks the lab against Unbound
#   PORT53D=/path/to/port53d test/integration/run.sh -k cname
# Everything runs in a private network namespace (needs root, or an
# unprivileged user namespace): only loopback exists there, so no query can
# leave the machine whatever a test or daemon does.
set -euo pipefail

if [ -z "${PORT53_IN_NETNS:-}" ]; then
    export PORT53_IN_NETNS=1
    # never fall back to the host network: fail instead
    userns=()
    [ "$(id -u)" = 0 ] || userns=(--map-root-user)
    unshare --net "${userns[@]}" -- "$0" "$@" && exit 0
    rc=$?
    if ! unshare --net "${userns[@]}" true 2>/dev/null; then
        echo "run.sh: cannot create a private network namespace (needs root or" \
             "unprivileged user namespaces); not running the tests on the host network" >&2
    fi
    exit $rc
fi

ip link set lo up
cd "$(dirname "$0")/../.."
# no .pytest_cache or __pycache__ in the source tree
export PYTHONDONTWRITEBYTECODE=1
# default to the whole suite unless a test path (file, dir, file::test) is given
# and quiet output unless the caller chose a verbosity (-qq hides the summary)
targets=(test/integration)
quiet=(-q)
for a in "$@"; do
    if [ -e "${a%%::*}" ]; then targets=(); fi
    case "$a" in -q|-qq|--quiet|-v|-vv|--verbose) quiet=() ;; esac
done
exec /usr/bin/python3 -m pytest "${quiet[@]}" -p no:cacheprovider "${targets[@]}" "$@"
