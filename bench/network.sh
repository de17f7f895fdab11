#!/usr/bin/env bash
# What networking costs per container (BENCHMARKS.md), stack and Docker
# measured in the same run on the same busybox root filesystem:
#   - `container run --rm busybox true` on the default bridge network and
#     with `--network none`: the difference is the price of one attach and
#     detach;
#   - 50 replicas of a sleeping service on a project network, up -d and down;
#   - `network create` and `network rm` of an empty network.
# Prints one table of medians (milliseconds).
#
#   bench/network.sh                    # 15 runs each, Docker if installed
#   RUNS=31 PEERS= bench/network.sh     # stack only
#
# Docker runs as a private dockerd on a bridge of its own, started after
# stack's measures (its iptables FORWARD policy would break stack's bridges)
# and stopped at the end, with the iptables tables put back as they were.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-15}
peers=${PEERS-docker}
work=$(mktemp -d /tmp/stack-bench-network.XXXXXX)
run_root=$(mktemp -d /tmp/sbn.XXXXXX) # unix socket paths must stay short
S="$stack --root $work/root --run-root $run_root"
results=$work/results.tsv
docker_bridge=benchn$$
started_dockerd=

log() { echo "bench: $*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# ms CMD...: milliseconds the command took; nothing if it failed
ms() {
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>"$work/stderr.last" || { log "failed: $*: $(tail -n 2 "$work/stderr.last")"; return 1; }
  e=$(date +%s%N)
  awk -v d=$((e - s)) 'BEGIN{printf "%.1f\n", d/1e6}'
}
# record TOOL MEASURE VALUE...
record() {
  local tool=$1 measure=$2; shift 2
  local m; m=$(printf '%s\n' "$@" | grep -v '^$' | median)
  printf '%s\t%s\t%s\n' "$tool" "$measure" "$m" >>"$results"
  log "$tool: $measure: $m ms (each: $*)"
}
# times N CMD...: N timings of CMD
times() {
  local n=$1 i; shift
  for i in $(seq "$n"); do ms "$@"; done
}

cleanup() {
  (cd "$work/replicas" 2>/dev/null && $S down -t 0 >/dev/null 2>&1)
  for id in $($S container ls -aq 2>/dev/null); do $S container rm -f "$id" >/dev/null 2>&1; done
  for n in $($S network ls -q 2>/dev/null); do $S network rm "$n" >/dev/null 2>&1; done
  if [ -n "$started_dockerd" ]; then
    (cd "$work/replicas-docker" 2>/dev/null && docker-compose down -t 0 >/dev/null 2>&1)
    kill "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.1; done
    ip link del "$docker_bridge" 2>/dev/null
    if [ -s "$work/iptables.before" ]; then
      iptables-restore <"$work/iptables.before"
    elif [ -e "$work/iptables.before" ]; then
      for t in filter nat; do iptables -t "$t" -F && iptables -t "$t" -X; done
      iptables -P FORWARD ACCEPT
    fi
  fi
  grep -o " $work[^ ]*\| $run_root[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" "$run_root"
}
trap cleanup EXIT

[ -x "$stack" ] || { log "build stack first (make build) or set STACK_BIN"; exit 1; }
"$top/examples/base-images/busybox-rootfs.sh" "$work/busybox.tar" >/dev/null
$S image import "$work/busybox.tar" busybox >/dev/null
$S container run --rm busybox true || { log "stack cannot run containers here"; exit 1; }

# stack: single containers, alternating so that drift hits both alike
bridge=() none=()
for _ in $(seq "$runs"); do
  bridge+=("$(ms $S container run --rm busybox true)")
  none+=("$(ms $S container run --rm --network none busybox true)")
done
record stack "run --rm true, default bridge" "${bridge[@]}"
record stack "run --rm true, --network none" "${none[@]}"

mapfile -t create < <(for i in $(seq "$runs"); do ms $S network create "benchnet$i"; done)
mapfile -t rm < <(for i in $(seq "$runs"); do ms $S network rm "benchnet$i"; done)
record stack "network create" "${create[@]}"
record stack "network rm" "${rm[@]}"

replicas() {
  local tool=$1 dir=$2; shift 2
  local up=() down=() i
  for i in $(seq $(((runs + 2) / 3))); do
    up+=("$(ms "$@" up -d --scale sleeper=50)")
    down+=("$(ms "$@" down -t 1)")
  done
  record "$tool" "50 replicas up -d" "${up[@]}"
  record "$tool" "50 replicas down" "${down[@]}"
}
mkdir -p "$work/replicas" && cd "$work/replicas" &&
  printf 'services:\n  sleeper:\n    image: busybox\n    command: ["sleep", "100000"]\n' >stack.yaml &&
  replicas stack "$work/replicas" $S
cd "$top" || exit 1

ensure_docker() {
  command -v docker >/dev/null && command -v dockerd >/dev/null || return 1
  if ! docker info >/dev/null 2>&1; then
    command -v iptables-save >/dev/null && iptables-save >"$work/iptables.before"
    ip link add "$docker_bridge" type bridge && ip addr add 172.31.253.1/24 dev "$docker_bridge" &&
      ip link set "$docker_bridge" up || return 1
    dockerd --bridge "$docker_bridge" --data-root "$work/docker" --exec-root "$work/docker-exec" \
      -p "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
    started_dockerd=$!
    for _ in $(seq 1 300); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
    docker info >/dev/null 2>&1 || { log "dockerd did not start: $(tail -3 "$work/dockerd.log")"; return 1; }
  else
    log "using the running dockerd"
  fi
  docker import "$work/busybox.tar" stack-bench-busybox >/dev/null
}

if [[ " $peers " == *" docker "* ]] && ensure_docker; then
  bridge=() none=()
  for _ in $(seq "$runs"); do
    bridge+=("$(ms docker run --rm stack-bench-busybox true)")
    none+=("$(ms docker run --rm --network none stack-bench-busybox true)")
  done
  record docker "run --rm true, default bridge" "${bridge[@]}"
  record docker "run --rm true, --network none" "${none[@]}"
  mapfile -t create < <(for i in $(seq "$runs"); do ms docker network create "benchnet$i"; done)
  mapfile -t rm < <(for i in $(seq "$runs"); do ms docker network rm "benchnet$i"; done)
  record docker "network create" "${create[@]}"
  record docker "network rm" "${rm[@]}"
  if command -v docker-compose >/dev/null; then
    mkdir -p "$work/replicas-docker" && cd "$work/replicas-docker" &&
      printf 'services:\n  sleeper:\n    image: stack-bench-busybox\n    command: ["sleep", "100000"]\n' >docker-compose.yml &&
      replicas docker-compose "$work/replicas-docker" docker-compose
    cd "$top" || exit 1
  fi
  docker rmi stack-bench-busybox >/dev/null 2>&1
fi

python3 - "$results" <<'PY'
import sys
rows, tools = {}, []
for line in open(sys.argv[1]):
    tool, measure, value = line.rstrip("\n").split("\t")
    if tool not in tools: tools.append(tool)
    rows.setdefault(measure, {})[tool] = value
print("| measure (median, ms) | " + " | ".join(tools) + " |")
print("| --- |" + " --- |" * len(tools))
for measure, by in rows.items():
    print("| " + measure + " | " + " | ".join(by.get(t, "-") for t in tools) + " |")
PY
