#!/usr/bin/env bash
# The demo's web image (examples/flask-redis) built by `stack image build`
# and by Docker's classic builder (`DOCKER_BUILDKIT=0 docker build`, a
# private dockerd) side by side in the same run: cold (--no-cache) and fully
# cached, medians over RUNS runs, process start included. The in-process
# figure is the Go benchmark BenchmarkBuildDemoWebCached.
#
#   bench/build.sh                    # 5 runs each
#   RUNS=9 STACK_BIN=bin/stack bench/build.sh
#   COLD=0 bench/build.sh             # only the cached builds (cold ones fetch apt lists)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-5}
cold=${COLD:-1}
base=${STACK_BENCH_BASE:-/var/cache/stack-test/demo-base.tar}
[ "$(id -u)" = 0 ] || { echo "bench/build.sh: run as root" >&2; exit 1; }
[ -f "$base" ] || { echo "bench/build.sh: $base is missing (examples/base-images/debian-rootfs.sh $base python3-flask,python3-redis,redis-server)" >&2; exit 1; }
[ -x "$stack" ] || (cd "$top" && go build -o "$stack" ./cmd/stack)
work=$(mktemp -d /tmp/stack-bench-build.XXXXXX)
dockerd_pid=""
cleanup() {
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null || true; fi
  # dockerd leaves its network namespace mounted under the exec root
  awk -v w="$work" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ctx=$work/ctx
cp -r "$top/examples/flask-redis" "$ctx"

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# times N CMD...: N runs of CMD, one duration in seconds per line
times() { local n=$1; shift; for _ in $(seq "$n"); do local t0; t0=$(now_ns); "$@" >/dev/null 2>&1; echo "$t0 $(now_ns)" | awk '{printf "%.4f\n", ($2-$1)/1e9}'; done; }

sroot=$work/stack-root
"$stack" --root "$sroot" image import "$base" demo-base:bookworm >/dev/null
sbuild() { "$stack" --root "$sroot" image build -q -t web "$@" "$ctx"; }
sbuild >/dev/null 2>&1
stack_cold=-
[ "$cold" = 0 ] || stack_cold=$(times "$runs" sbuild --no-cache | median)
stack_cached=$(times "$runs" sbuild | median)

docker_cold=- docker_cached=-
cli=/usr/bin/docker; [ -x "$cli" ] || cli=$(command -v docker || true)
if command -v dockerd >/dev/null && [ -n "$cli" ]; then
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$work/d" --exec-root "$work/e" \
    --pidfile "$work/pid" -H "unix://$work/sock" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 120); do "$cli" -H "unix://$work/sock" version >/dev/null 2>&1 && break; sleep 0.25; done
  docker() { DOCKER_BUILDKIT=0 "$cli" -H "unix://$work/sock" "$@"; }
  docker import "$base" demo-base:bookworm >/dev/null
  dbuild() { docker build -q --network=host -t web "$@" "$ctx"; }
  dbuild >/dev/null 2>&1
  [ "$cold" = 0 ] || docker_cold=$(times "$runs" dbuild --no-cache | median)
  docker_cached=$(times "$runs" dbuild | median)
fi

printf '%-22s %10s %10s\n' "build web ($runs runs)" stack docker
printf '%-22s %9ss %9ss\n' "no cache" "$stack_cold" "$docker_cold"
printf '%-22s %9ss %9ss\n' "all cached" "$stack_cached" "$docker_cached"
