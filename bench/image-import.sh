#!/usr/bin/env bash
# Import of the Debian demo root filesystem (~220 MB) and its re-import (the
# same content again), `stack image import` against `docker import` in the
# same run on the same file. Docker runs as a private daemon started here.
# Prints medians of wall time and of CPU time (user+system, for Docker the
# client plus the daemon and its untar children), and the ratio docker/stack.
# On a loaded machine the CPU time is the steadier figure.
#
#   bench/image-import.sh                 # /var/cache/stack-test/demo-base.tar, 5 runs
#   RUNS=9 bench/image-import.sh OTHER.tar
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-5}
base=${1:-/var/cache/stack-test/demo-base.tar}
work=$(mktemp -d /tmp/stack-bench-image.XXXXXX)
dockerd_pid=

log() { echo "bench: $*" >&2; }
cleanup() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$dockerd_pid" 2>/dev/null
  fi
  grep -o " $work[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

[ -f "$base" ] || { log "no base tarball at $base (examples/base-images/debian-rootfs.sh makes one)"; exit 1; }
if [ ! -x "$stack" ]; then
  log "building $stack"; (cd "$top" && go build -o "$stack" ./cmd/stack) || exit 1
fi

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# cpu_ticks PID: user+system ticks of PID and its waited-for children
cpu_ticks() { [ -n "$1" ] && awk '{print $14+$15+$16+$17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# measure CMD...: prints "WALL CPU" in seconds; CPU counts the command and the daemon
measure() {
  local t0 t1 c0 c1 out
  sync
  c0=$(cpu_ticks "$dockerd_pid"); t0=$(date +%s%N)
  /usr/bin/time -o "$work/time.out" -f "%U %S" "$@" >/dev/null 2>>"$work/errors.log" || { log "failed: $*"; tail -3 "$work/errors.log" >&2; return 1; }
  out=$(cat "$work/time.out")
  t1=$(date +%s%N); c1=$(cpu_ticks "$dockerd_pid")
  awk -v a="$t0" -v b="$t1" -v c="$out" -v d0="$c0" -v d1="$c1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{split(c, u, " "); printf "%.3f %.3f\n", (b-a)/1e9, u[1]+u[2]+(d1-d0)/hz}'
}

docker_cmd=()
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$work/docker" \
    --exec-root "$work/docker-exec" --pidfile "$work/docker.pid" -H "unix://$work/docker.sock" \
    >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  docker_cmd=(docker -H "unix://$work/docker.sock")
  for _ in $(seq 1 300); do "${docker_cmd[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
  "${docker_cmd[@]}" version >/dev/null 2>&1 || { log "dockerd did not start; see $work/dockerd.log"; docker_cmd=(); }
else
  log "docker is not installed: stack only"
fi

: >"$work/samples"
sample() { # sample TOOL PHASE CMD...
  local tool=$1 phase=$2; shift 2; local m
  m=$(measure "$@") || return 0
  echo "$tool $phase $m" >>"$work/samples"; log "$tool $phase: wall/cpu $m s"
}
for i in $(seq 1 "$runs"); do
  rm -rf "$work/root"
  sample stack first "$stack" --root "$work/root" image import "$base" bench:first
  sample stack again "$stack" --root "$work/root" image import "$base" bench:again
  if [ ${#docker_cmd[@]} -gt 0 ]; then
    "${docker_cmd[@]}" rmi -f bench:first bench:again >/dev/null 2>&1
    sample docker first "${docker_cmd[@]}" import "$base" bench:first
    sample docker again "${docker_cmd[@]}" import "$base" bench:again
  fi
done

med() { awk -v t="$1" -v p="$2" -v f="$3" '$1==t && $2==p {print $f}' "$work/samples" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-" || b=="-" || b==0) print "-"; else printf "%.2fx", a/b }'; }
size=$(du -m "$base" | cut -f1)
printf '\nimage import of %s (%s MB), median of %s runs, seconds\n' "$(basename "$base")" "$size" "$runs"
printf '%-32s %11s %11s %8s   %11s %11s %8s\n' phase "docker wall" "stack wall" ratio "docker cpu" "stack cpu" ratio
for phase in first again; do
  label="import into an empty store"; [ "$phase" = again ] && label="import the same content again"
  dw=$(med docker $phase 3); sw=$(med stack $phase 3); dc=$(med docker $phase 4); sc=$(med stack $phase 4)
  printf '%-32s %11s %11s %8s   %11s %11s %8s\n' "$label" "$dw" "$sw" "$(ratio "$dw" "$sw")" "$dc" "$sc" "$(ratio "$dc" "$sc")"
done
