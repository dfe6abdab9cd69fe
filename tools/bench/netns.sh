# shellcheck shell=bash
: "${root:?the sourcing script sets root, the repository}"
# Sourced by the benchmark scripts. bench_netns NAME "$@" (first thing the script does):
# outside, re-runs the script with its arguments in a private network namespace (unshare
# --net, as root or in a user namespace); inside, brings lo up and refuses to run if any
# other interface is there, so nothing the script starts can reach beyond this machine.
bench_netns() {
    local name=$1
    shift
    if [ -z "${PORT53_BENCH_IN_NETNS:-}" ]; then
        export PORT53_BENCH_IN_NETNS=1
        local userns=()
        [ "$(id -u)" = 0 ] || userns=(--map-root-user)
        exec unshare --net "${userns[@]}" -- "$0" "$@"
    fi
    ip link set lo up
    if ip -o link show | awk -F': ' '$2 != "lo"' | grep -q .; then
        echo "$name: interfaces besides lo here: refusing to run" >&2
        exit 1
    fi
}

# bench_wait_answering NAME ADDR: until the resolver at ADDR answers (10 s at most).
bench_wait_answering() {
    for _ in $(seq 200); do
        dig +time=1 +tries=1 @"$2" lab. SOA >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "$1: nothing answers on $2" >&2
    exit 1
}

# bench_lab_up DIR: starts the loopback lab (tools/lab) in DIR and sets an EXIT trap that
# stops the resolver whose pid is in $PID (when set), the lab, and removes $BENCH_REMOVE
# (when set).
bench_lab_up() {
    BENCH_LAB_DIR=$1
    PID=
    /usr/bin/python3 "$root/tools/lab/lab.py" up --dir "$BENCH_LAB_DIR" >/dev/null
    trap bench_cleanup EXIT
}
bench_cleanup() {
    [ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    /usr/bin/python3 "$root/tools/lab/lab.py" down --dir "$BENCH_LAB_DIR" >/dev/null 2>&1 || true
    [ -z "${BENCH_REMOVE:-}" ] || rm -rf "$BENCH_REMOVE"
}
