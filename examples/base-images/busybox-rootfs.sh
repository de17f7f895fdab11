#!/usr/bin/env bash
# Writes a root-filesystem tarball made of Debian's busybox-static: the small
# base image the fast tests use. Usage: busybox-rootfs.sh OUT.tar
set -euo pipefail
out=${1:?usage: busybox-rootfs.sh OUT.tar}
bb=$(command -v busybox) || { echo "busybox-rootfs.sh: busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' && ldd "$bb" >/dev/null 2>&1; then
  echo "busybox-rootfs.sh: $bb is not static (apt-get install busybox-static)" >&2; exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,home,var/tmp}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$dir/$(dirname "$applet")"
  ln -sf /bin/busybox "$dir/$applet"
done
cat >"$dir/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PW
cat >"$dir/etc/group" <<'GR'
root:x:0:
daemon:x:1:
users:x:100:app
app:x:1000:
nogroup:x:65534:
GR
mkdir -p "$dir/home/app" && chown 1000:1000 "$dir/home/app"
tar --numeric-owner -C "$dir" -cf "$out.tmp" . && mv "$out.tmp" "$out"
