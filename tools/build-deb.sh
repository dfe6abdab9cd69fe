#!/bin/bash
# Builds the Debian package port53_VERSION_ARCH.deb from an existing build tree:
#   tools/build-deb.sh [BUILD_DIR [OUT_DIR]]     (default build/ and build/deb/)
# Build first (cmake --build BUILD_DIR builds port53d and port53-ctl); this only packs
# (packaging/CMakeLists.txt: CPack, Depends from dpkg-shlibdeps). Prints the .deb's path.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$src/build}")"
out="$(realpath -m "${2:-$build/deb}")"
mkdir -p "$out"
trap '[ $? = 0 ] || cat "$out/cmake.log" >&2' EXIT
cmake -S "$src/packaging" -B "$out/tree" -DPORT53_BUILD="$build" >"$out/cmake.log" 2>&1
cmake --build "$out/tree" >>"$out/cmake.log" 2>&1
(cd "$out/tree" && cpack -B "$out" >>"$out/cmake.log" 2>&1)
ls "$out"/port53_*.deb
