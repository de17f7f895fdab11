#!/usr/bin/env bash
# Writes a Debian root-filesystem tarball built from Debian's archive with the
# host's apt sources (no registry involved). Usage:
#   debian-rootfs.sh OUT.tar [PACKAGE,PACKAGE...]
# The demo's base is: debian-rootfs.sh base.tar python3-flask,python3-redis,redis-server
set -euo pipefail
out=${1:?usage: debian-rootfs.sh OUT.tar [PACKAGES]}
include=${2:-}
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
sources=()
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
  [ -s "$f" ] && sources+=("$f")
done
args=(--variant=apt --format=tar --quiet)
[ -n "$include" ] && args+=(--include="$include")
mmdebstrap "${args[@]}" "$suite" "$out.tmp" "${sources[@]}"
mv "$out.tmp" "$out"
