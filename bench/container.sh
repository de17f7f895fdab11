#!/usr/bin/env bash
# Container runtime figures (BENCHMARKS.md), stack and runc measured in the
# same run on the same busybox root filesystem:
#   - `stack container run --rm busybox true` against `runc run` of a
#     prepared bundle (wall time, median);
#   - `stack container stop` of an idle `sleep` container;
#   - resident memory the monitor and the init add per running container
#     (RSS, and PSS, which splits the shared binary pages fairly).
#
#   bench/container.sh          # 15 runs each
#   RUNS=31 bench/container.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-15}
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

[ -x "$stack" ] || { log "build stack first (make build) or set STACK_BIN"; exit 1; }
"$top/examples/base-images/busybox-rootfs.sh" "$work/busybox.tar"
$S image import "$work/busybox.tar" busybox >/dev/null
$S container run --rm busybox true || { log "stack cannot run containers here"; exit 1; }

stack_run=()
for _ in $(seq "$runs"); do stack_run+=("$(ms $S container run --rm busybox true)"); done
log "stack run --rm true (ms): ${stack_run[*]}"

runc_median=-
if command -v runc >/dev/null; then
  bundle=$work/bundle
  mkdir -p "$bundle/rootfs" && tar -C "$bundle/rootfs" -xf "$work/busybox.tar"
  (cd "$bundle" && runc spec)
  sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' "$bundle/config.json"
  runc_run=()
  for i in $(seq "$runs"); do runc_run+=("$(ms runc --root "$work/runc" run --bundle "$bundle" "bench$i")"); done
  log "runc run true (ms): ${runc_run[*]}"
  runc_median=$(printf '%s\n' "${runc_run[@]}" | median)
fi

stop=()
for i in $(seq "$runs"); do
  $S container run -d --name "idle$i" busybox sleep 1000 >/dev/null
  stop+=("$(ms $S container stop "idle$i")")
  $S container rm "idle$i" >/dev/null
done
log "stack stop of sleep (ms): ${stop[*]}"

n=5
for i in $(seq $n); do $S container run -d --name "mem$i" busybox sleep 1000 >/dev/null; done
sleep 1
rss=0 pss=0
for i in $(seq $n); do
  state=$($S container inspect "mem$i")
  for pid in $(echo "$state" | grep -oE '"(pid|monitorPid)": [0-9]+' | grep -oE '[0-9]+$'); do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
    rss=$((rss + r)) pss=$((pss + p))
  done
done

printf '\n%-44s %10s %10s\n' measure stack runc
printf '%-44s %10s %10s\n' "run --rm IMAGE true, median ms" "$(printf '%s\n' "${stack_run[@]}" | median)" "$runc_median"
printf '%-44s %10s %10s\n' "stop of an idle sleep container, median ms" "$(printf '%s\n' "${stop[@]}" | median)" "-"
printf '%-44s %10s %10s\n' "monitor+init RSS per container, KiB" "$((rss / n))" "-"
printf '%-44s %10s %10s\n' "monitor+init PSS per container, KiB" "$((pss / n))" "-"
