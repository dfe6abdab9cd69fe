#!/bin/sh
# Installs what port53 needs from Debian 12 packages.
#   tools/install-deps.sh        build and run
#   tools/install-deps.sh test   also the test suite's lab, clients and peers
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
BUILD="build-essential cmake ninja-build ccache pkg-config libboost-dev libssl-dev libldns-dev
       libtomlplusplus-dev libnghttp2-dev libcurl4-openssl-dev libfstrm-dev libhiredis-dev"
TEST="catch2 clang clang-format clang-tidy cppcheck libclang-rt-14-dev nsd knot ldnsutils knot-dnsutils dnsutils dnsperf unbound python3-dnspython
      python3-pytest iproute2 nftables util-linux openssl curl chromium libnss3-tools nghttp2-client valgrind
      dpkg-dev file groff-base lintian
      fstrm-bin dnstap-ldns dnsdist redis-server"
PKGS="$BUILD"
[ "${1:-}" = "test" ] && PKGS="$BUILD $TEST"
# Skip apt entirely when everything is already there (CI machines are reused).
if dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | grep -vq "install ok installed" ||
   [ "$(dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | wc -l)" -ne "$(echo $PKGS | wc -w)" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS
fi
# Debian starts the packaged NSD and Unbound services; the lab runs its own instances.
if [ "${1:-}" = "test" ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now nsd unbound >/dev/null 2>&1 || true
fi
# The web console's browser test drives Chromium with Playwright (npm registry); Node.js and
# npm come from Debian unless a Node.js with npm is there already.
if [ "${1:-}" = "test" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
    fi
    # Without the npm registry the browser test of the console is skipped, saying why.
    (cd "$(dirname "$0")/../test/browser" && npm ci --no-audit --no-fund --loglevel=error) ||
        echo "install-deps.sh: npm ci failed: the console's browser test will be skipped" >&2
fi
