#!/usr/bin/env bash
# Container runtime figures (BENCHMARKS.md), stack and runc measured in the
# same run, on the same root filesystems, one run of each in turn so that
# both see the same machine load:
#   - `stack container run --rm IMAGE true`, with the default bridge network
#     and with --network none, against `runc run` of a prepared bundle of the
#     same image (runc's default spec has its own network namespace with
#     only lo, which is what --network none gives);
#   - the same on a Debian root filesystem, if one is cached (DEBIAN_ROOTFS,
#     default /var/cache/stack-test/debian-rootfs-minimal.tar, made by
#     examples/base-images/debian-rootfs.sh);
#   - `stack container stop` of an idle `sleep` container;
#   - memory the monitor and the init add per running container, with N
#     containers running: RSS, and PSS, which splits the pages the monitors
#     and inits share (the sealed copy of the binary they run from) fairly;
#     the copy itself is one memfd for all, its size is printed too.
#
#   bench/container.sh          # 15 runs each
#   RUNS=31 N=10 bench/container.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-15}
n=${N:-5}
debian=${DEBIAN_ROOTFS:-/var/cache/stack-test/debian-rootfs-minimal.tar}
work=$(mktemp -d /tmp/stack-bench-container.XXXXXX)
S="$stack --root $work/root --run-root $work/run"

log() { echo "bench: $*" >&2; }
cleanup() {
  for id in $($S container ls -aq 2>/dev/null); do $S container rm -f "$id" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )) | awk '{printf "%.1f\n", $1/1000}'; }
med() { printf '%s\n' "$@" | median; }
row() { printf '%-52s %10s %10s\n' "$@"; }

[ -x "$stack" ] || { log "build stack first (make build) or set STACK_BIN"; exit 1; }
"$top/examples/base-images/busybox-rootfs.sh" "$work/busybox.tar"
$S image import "$work/busybox.tar" busybox >/dev/null
$S container run --rm busybox true || { log "stack cannot run containers here"; exit 1; }

have_runc=false
command -v runc >/dev/null && have_runc=true
# bundle DIR TARBALL: a runc bundle running `true`, no terminal.
bundle() {
  mkdir -p "$1/rootfs" && tar -C "$1/rootfs" -xf "$2"
  (cd "$1" && runc spec)
  sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' "$1/config.json"
}
# compare LABEL IMAGE BUNDLE [stack run flags]: prints one row.
compare() {
  local label=$1 image=$2 b=$3; shift 3
  local st=() rc=() i
  for i in $(seq "$runs"); do
    st+=("$(ms $S container run --rm "$@" "$image" true)")
    $have_runc && rc+=("$(ms runc --root "$work/runc" run --bundle "$b" "bench$RANDOM$i")")
  done
  log "$label: stack (ms): ${st[*]}"
  $have_runc && log "$label: runc (ms): ${rc[*]}"
  local r=-
  $have_runc && r=$(med "${rc[@]}")
  rows+=("$(row "$label" "$(med "${st[@]}")" "$r")")
}
rows=()
$have_runc && bundle "$work/bundle" "$work/busybox.tar"
compare "run --rm busybox true, median ms" busybox "$work/bundle"
compare "run --rm --network none busybox true, median ms" busybox "$work/bundle" --network none
if [ -r "$debian" ]; then
  $S image import "$debian" debian >/dev/null
  $have_runc && bundle "$work/bundle-debian" "$debian"
  compare "run --rm debian true, median ms" debian "$work/bundle-debian"
  compare "run --rm --network none debian true, median ms" debian "$work/bundle-debian" --network none
else
  log "no Debian root filesystem at $debian: Debian lines skipped"
fi

stop=()
for i in $(seq "$runs"); do
  $S container run -d --name "idle$i" busybox sleep 1000 >/dev/null
  stop+=("$(ms $S container stop "idle$i")")
  $S container rm "idle$i" >/dev/null
done
log "stack stop of sleep (ms): ${stop[*]}"

for i in $(seq "$n"); do $S container run -d --name "mem$i" busybox sleep 1000 >/dev/null; done
sleep 1
rss=0 pss=0 copy=0
for i in $(seq "$n"); do
  state=$($S container inspect "mem$i")
  for pid in $(echo "$state" | grep -oE '"(pid|monitorPid)": [0-9]+' | grep -oE '[0-9]+$'); do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
    rss=$((rss + r)) pss=$((pss + p))
    # The sealed copy the process runs from, if it is one: the whole memfd
    # is memory, mapped or not.
    if [ "$copy" = 0 ] && readlink "/proc/$pid/exe" | grep -q '^/memfd:'; then
      copy=$(( $(stat -L -c %s "/proc/$pid/exe") / 1024 ))
    fi
  done
done

printf '\n'
row measure stack runc
printf '%s\n' "${rows[@]}"
row "stop of an idle sleep container, median ms" "$(med "${stop[@]}")" "-"
row "monitor+init RSS per container ($n running), KiB" "$((rss / n))" "-"
row "monitor+init PSS per container ($n running), KiB" "$((pss / n))" "-"
row "sealed binary copy, one for all containers, KiB" "$copy" "-"
