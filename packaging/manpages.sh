#!/bin/sh
# The package's man pages, gzipped reproducibly (gzip -n, as Debian wants):
#   packaging/manpages.sh PORT53D OUT_DIR
# port53d.toml.5 comes from the settings table (port53d --config-manpage).
set -eu
here="$(dirname "$0")"
"$1" --config-manpage | gzip -9n >"$2/port53d.toml.5.gz"
gzip -9n <"$here/port53d.8" >"$2/port53d.8.gz"
gzip -9n <"$here/port53-ctl.8" >"$2/port53-ctl.8.gz"
