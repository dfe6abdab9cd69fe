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
    # Debian starts a package's service as it installs it: Unbound would prime from the real
    # root and dnsdist poll its security status over the internet. A policy-rc.d that
    # refuses (exit 101, as Debian's own policy describes) keeps them stopped.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    rc=0
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $PKGS || rc=$?
    [ "$made_policy" = 0 ] || $SUDO rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || exit "$rc"
fi
# The packaged NSD, Unbound, dnsdist and Redis services stay off: the lab and the tests run
# their own instances.
if [ "${1:-}" = "test" ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now nsd unbound dnsdist redis-server >/dev/null 2>&1 || true
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
