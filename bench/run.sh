#!/usr/bin/env bash
# Side-by-side benchmark of BENCHMARKS.md for stack and, where installed,
# docker-compose 1.29/Docker, Docker Compose v2 (bench/compose-v2.sh builds
# it) and podman-compose/Podman, measured in the same run on
# the same files (examples/flask-redis on the demo's Debian base):
#   - the lifecycle phases: build web cold and cached, up -d to the first
#     counted page, no-op up -d, ps, up -d after an environment change to the
#     changed page, down;
#   - container start (run --rm IMAGE true), 50 replicas up and down;
#   - plumbing: one gethostbyname("redis") from Python in the web container,
#     redis-benchmark GET through a published port against the container IP,
#     resident memory the engine adds per running container.
# Prints one table of medians with the ratio peer/stack.
#
#   bench/run.sh                  # 5 runs per phase
#   RUNS=3 COLD_RUNS=1 PEERS="docker compose-v2" bench/run.sh
#   WITH_PARTS=1 bench/run.sh     # and then bench/container.sh, image-import.sh, build.sh, registry.sh
#
# Stack keeps its state in a private --root/--run-root. Docker runs as a
# private dockerd started here (and stopped at the end) when none is running;
# its iptables FORWARD policy breaks bridge traffic of other tools while it
# runs, so stack's phases all run before it starts.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack_bin=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-5}
cold_runs=${COLD_RUNS:-$runs} # builds without cache, minutes each when RUN downloads
peers=${PEERS:-docker compose-v2 podman}
base_tar=${STACK_BENCH_BASE:-/var/cache/stack/demo-base.tar}
work=$(mktemp -d /tmp/stack-bench.XXXXXX)
run_root=$(mktemp -d /tmp/sb.XXXXXX) # unix socket paths must stay short
results=$work/results.tsv
errors=$work/stderr.log # what the tools print while measured
failures=$work/failures.log
port=${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')}
rport=$((port + 1))
export STACK_ROOT=$work/stack-root STACK_RUN_ROOT=$run_root
started_dockerd=
v2=
docker_bridge=benchd$$
trap cleanup EXIT

log() { echo "bench: $*" >&2; }
now_ns() { date +%s%N; }
since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN{printf "%.4f\n", (b-a)/1e9}'; }

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# record TOOL MEASURE UNIT VALUE...: the median of the values under TOOL
record() {
  local tool=$1 measure=$2 unit=$3; shift 3
  local m; m=$(printf '%s\n' "$@" | grep -v '^$' | median)
  printf '%s\t%s\t%s\t%s\n' "$tool" "$measure" "$unit" "$m" >>"$results"
  log "$tool: $measure: $m $unit (each: $*)"
}

# elapsed CMD...: prints the seconds the command took, fails if it failed
elapsed() {
  local t0; t0=$(now_ns)
  "$@" >/dev/null 2>>"$errors" || { log "failed: $*"; echo "failed: $*" >>"$failures"; return 1; }
  since "$t0"
}

# wait_page T0 [TEXT]: polls the page until it shows a visit count (and TEXT);
# prints the seconds since T0
wait_page() {
  local t0=$1 text=${2:-}
  for _ in $(seq 1 3000); do
    page=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null) &&
      grep -q 'Visits:</b> [0-9]' <<<"$page" && grep -q -- "$text" <<<"$page" && { since "$t0"; return 0; }
    sleep 0.005
  done
  log "the page never showed a visit count${text:+ with $text}"; return 1
}

# project_copy NAME: a copy of the example publishing the bench port, in $work/NAME
project_copy() {
  local dir=$work/$1
  rm -rf "$dir"; cp -r "$top/examples/flask-redis" "$dir"
  sed -i "s/\"4000:80\"/\"$port:80\"/" "$dir/stack.yaml"
  cp "$dir/stack.yaml" "$dir/docker-compose.yml"
  # the environment changes edit the stack files: keep them out of the
  # build context, or ADD . /app misses the cache
  echo docker-compose.yml >>"$dir/.dockerignore"
  echo "$dir"
}

. "$here/demo-env.sh" # set_env_name

# lifecycle TOOL BUILD TARGET COMPOSE: the phases of BENCHMARKS.md; BUILD
# and COMPOSE are command prefixes (strings), --no-cache goes between BUILD
# and TARGET
lifecycle() {
  local tool=$1 build=$2 target=$3 compose=$4 dir i t t0
  dir=$(project_copy "$tool") && cd "$dir" || return 1
  $compose down >/dev/null 2>&1
  local cold=() cached=() up=() noop=() ps=() recreate=() down=()
  $build $target >/dev/null 2>>"$errors" # the base's layers unpacked once, outside the figures
  for i in $(seq 1 "$runs"); do
    [ "$i" -le "$cold_runs" ] && t=$(elapsed $build --no-cache $target) && cold+=("$t")
    t=$(elapsed $build $target) && cached+=("$t")
    set_env_name "$dir" "World"
    t0=$(now_ns); $compose up -d >/dev/null 2>>"$errors" && t=$(wait_page "$t0") && up+=("$t")
    t=$(elapsed $compose up -d) && noop+=("$t")
    t=$(elapsed $compose ps) && ps+=("$t")
    set_env_name "$dir" "Bench$i"
    t0=$(now_ns); $compose up -d >/dev/null 2>>"$errors" && t=$(wait_page "$t0" "Hello Bench$i") && recreate+=("$t")
    [ "$i" = 1 ] && plumbing "$tool" "$compose"
    t=$(elapsed $compose down) && down+=("$t")
  done
  record "$tool" "build web, no cache" s "${cold[@]}"
  record "$tool" "build web, all cached" s "${cached[@]}"
  record "$tool" "up -d -> first page with a count" s "${up[@]}"
  record "$tool" "up -d, nothing changed" s "${noop[@]}"
  record "$tool" "ps" s "${ps[@]}"
  record "$tool" "up -d after env change -> changed page" s "${recreate[@]}"
  record "$tool" "down" s "${down[@]}"
  cd "$top" || return 1
}

# plumbing TOOL COMPOSE: name lookup inside web, while the demo runs
plumbing() {
  local us
  us=$($2 exec -T web python3 -c '
import socket, time
socket.gethostbyname("redis")
n = 200; t = time.perf_counter()
for _ in range(n): socket.gethostbyname("redis")
print("%.1f" % ((time.perf_counter() - t) / n * 1e6))' 2>>"$errors") &&
    record "$1" "gethostbyname(\"redis\") in web" us "$us"
}

# container_start TOOL ENGINE [RUN FLAGS]: run --rm of the demo base
container_start() {
  local tool=$1 engine=$2 flags=${3:-} ts=() t
  for _ in $(seq 1 $((runs * 3))); do t=$(elapsed $engine run --rm $flags demo-base:bookworm true) && ts+=("$t"); done
  record "$tool" "run --rm IMAGE true" s "${ts[@]}"
}

# replicas TOOL COMPOSE: 50 replicas of a sleeping service, up and down
replicas() {
  local tool=$1 compose=$2 dir=$work/replicas-$1 up=() down=() t
  mkdir -p "$dir" && cd "$dir" || return 1
  printf 'services:\n  sleeper:\n    image: demo-base:bookworm\n    command: ["sleep", "100000"]\n' >stack.yaml
  cp stack.yaml docker-compose.yml
  for _ in $(seq 1 "$(((runs + 1) / 2))"); do
    t=$(elapsed $compose up -d --scale sleeper=50) && up+=("$t")
    t=$(elapsed $compose down -t 1) && down+=("$t")
  done
  record "$tool" "50 replicas up -d" s "${up[@]}"
  record "$tool" "50 replicas down" s "${down[@]}"
  cd "$top" || return 1
}

# redis_throughput TOOL IP_OF_CMD ENGINE...: a redis container publishing
# $rport; GET throughput through the published port and to its own address
redis_throughput() {
  local tool=$1 ip_of=$2; shift 2
  "$@" run -d --name bench-redis -p "$rport:6379" demo-base:bookworm \
    redis-server --protected-mode no --save "" >/dev/null 2>>"$errors" || { log "$tool: redis container did not start"; return 1; }
  local ip; ip=$($ip_of bench-redis)
  for _ in $(seq 1 100); do redis-cli -h "$ip" ping >/dev/null 2>&1 && break; sleep 0.1; done
  local pub=() direct=() i
  for i in 1 2 3; do
    pub+=("$(rps 127.0.0.1 "$rport")"); direct+=("$(rps "$ip" 6379)")
  done
  record "$tool" "redis GET via published port" req/s "${pub[@]}"
  record "$tool" "redis GET to the container IP" req/s "${direct[@]}"
  "$@" rm -f bench-redis >/dev/null 2>&1
}
rps() { redis-benchmark -h "$1" -p "$2" -t get -n 50000 -c 20 -q 2>/dev/null | tr '\r' '\n' | awk '/GET:/ {print $2}' | tail -1; }
# stack_ip NAME: the container's address on the network `container run` uses
stack_ip() {
  local id; id=$("$stack_bin" container inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  "$stack_bin" network inspect bridge | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["endpoints"][sys.argv[1]]["addrs"][0].split("/")[0])' "$id"
}
docker_ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }

# memory_of PID...: "RSS PSS" in KiB summed over the processes; PSS splits
# the pages they share (the binary, libraries) among their users fairly
memory_of() {
  local pid r=0 p=0
  for pid in "$@"; do
    r=$((r + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
    p=$((p + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$r $p"
}

# record_memory TOOL CONTAINERS PID...: per container, in MiB
record_memory() {
  local tool=$1 n=$2; shift 2
  local m; m=$(memory_of "$@")
  record "$tool" "memory added per container, RSS" MiB "$(awk -v k="${m% *}" -v n="$n" 'BEGIN{printf "%.1f", k/n/1024}')"
  record "$tool" "memory added per container, PSS" MiB "$(awk -v k="${m#* }" -v n="$n" 'BEGIN{printf "%.1f", k/n/1024}')"
}

# stack_memory: the monitor and the init of each running demo container
stack_memory() {
  cd "$work/stack" || return 1
  "$stack_bin" up -d >/dev/null 2>>"$errors" && wait_page "$(now_ns)" >/dev/null && {
    local ids pids
    ids=$("$stack_bin" ps -q)
    pids=$(for id in $ids; do "$stack_bin" container inspect "$id"; done | grep -oE '"(pid|monitorPid)": [0-9]+' | grep -oE '[0-9]+$')
    record_memory stack "$(wc -w <<<"$ids")" $pids
  }
  "$stack_bin" down >/dev/null 2>&1; cd "$top" || return 1
}

# docker_memory: the shim of each demo container and the docker-proxy
# processes of its published port
docker_memory() {
  cd "$work/docker-compose" || return 1
  docker-compose up -d >/dev/null 2>>"$errors" && wait_page "$(now_ns)" >/dev/null &&
    record_memory docker-compose "$(docker-compose ps -q | wc -l)" $(pgrep -x containerd-shim) $(pgrep -x docker-proxy)
  docker-compose down -t 1 >/dev/null 2>&1; cd "$top" || return 1
}

cleanup() {
  for d in "$work/stack" "$work/replicas-stack"; do (cd "$d" 2>/dev/null && "$stack_bin" down -t 0 >/dev/null 2>&1); done
  "$stack_bin" container rm -f bench-redis >/dev/null 2>&1
  "$stack_bin" network rm bridge >/dev/null 2>&1 # kept between containers, as docker0 is
  if [ -n "$started_dockerd" ]; then
    for d in "$work/docker-compose" "$work/replicas-docker-compose"; do (cd "$d" 2>/dev/null && docker-compose down -t 0 >/dev/null 2>&1); done
    for d in "$work/compose-v2" "$work/replicas-compose-v2"; do (cd "$d" 2>/dev/null && "${v2:-false}" down -t 0 >/dev/null 2>&1); done
    docker rm -f bench-redis >/dev/null 2>&1
    kill "$started_dockerd" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.1; done
    ip link del "$docker_bridge" 2>/dev/null
    restore_iptables
    docker_leftovers
  fi
  grep -o " $work[^ ]*\| $run_root[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" "$run_root"
}

# restore_iptables: dockerd leaves its chains and rules (and, where it turns
# forwarding on itself, a FORWARD DROP policy); the tables go back to what
# they were before it started
restore_iptables() {
  [ -e "$work/iptables.before" ] || return 0
  if [ -s "$work/iptables.before" ]; then
    iptables-restore <"$work/iptables.before"
  else
    local t
    for t in filter nat; do iptables -t "$t" -F && iptables -t "$t" -X; done
    iptables -P FORWARD ACCEPT
  fi
}

# docker_leftovers: what the private dockerd left on the host, reported
docker_leftovers() {
  local left
  left=$(pgrep -af -- "$work" | grep -v "^$$ ")
  [ -n "$left" ] && log "left running after dockerd stopped: $left"
  ip link show "$docker_bridge" >/dev/null 2>&1 && log "the bridge $docker_bridge is left on the host"
  iptables -S 2>/dev/null | grep -q DOCKER && log "iptables chains of dockerd are left"
  iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP' && log "iptables FORWARD policy is DROP (set by dockerd)"
}

# ensure_docker: a dockerd of its own (unless one runs), on a bridge of its
# own: another dockerd started with --bridge=none deletes docker0 when it
# starts, which cuts the network of the containers on it
ensure_docker() {
  command -v docker >/dev/null && command -v dockerd >/dev/null || return 1
  if docker info >/dev/null 2>&1; then
    log "using the running dockerd"
    docker image inspect demo-base:bookworm >/dev/null 2>&1 || docker import "$base_tar" demo-base:bookworm >/dev/null
    return
  fi
  command -v iptables-save >/dev/null && iptables-save >"$work/iptables.before"
  ip link add "$docker_bridge" type bridge && ip addr add 172.31.254.1/24 dev "$docker_bridge" &&
    ip link set "$docker_bridge" up || return 1
  dockerd --bridge "$docker_bridge" --data-root "$work/docker" --exec-root "$work/docker-exec" -p "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 300); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start: $(tail -3 "$work/dockerd.log")"; return 1; }
  docker import "$base_tar" demo-base:bookworm >/dev/null
}

ensure_podman() {
  command -v podman >/dev/null || return 1
  podman image exists demo-base:bookworm || podman import "$base_tar" demo-base:bookworm >/dev/null
}

print_table() {
  python3 - "$results" <<'PY'
import sys
rows, tools = {}, []
for line in open(sys.argv[1]):
    tool, measure, unit, value = line.rstrip("\n").split("\t")
    if tool not in tools: tools.append(tool)
    rows.setdefault((measure, unit), {})[tool] = value
def fmt(v, unit):
    try: f = float(v)
    except ValueError: return v
    if unit == "s": return "%.0f ms" % (f * 1000) if f < 1 else "%.2f s" % f
    if unit == "req/s": return "%.1fk req/s" % (f / 1000)
    return "%g %s" % (f, unit)
peers = [t for t in tools if t != "stack"]
print("| measure | " + " | ".join(tools) + "".join(" | %s / stack" % t for t in peers) + " |")
print("|" + " --- |" * (1 + len(tools) + len(peers)))
for (measure, unit), vals in rows.items():
    cells = [fmt(vals.get(t, "-"), unit) for t in tools]
    for t in peers:
        try: cells.append("%.2fx" % (float(vals[t]) / float(vals["stack"])))
        except (KeyError, ValueError, ZeroDivisionError): cells.append("-")
    print("| %s | %s |" % (measure, " | ".join(cells)))
PY
}

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }
[ -x "$stack_bin" ] || { echo "bench/run.sh: $stack_bin is missing: run make build" >&2; exit 1; }
[ -s "$base_tar" ] || "$top/examples/base-images/debian-rootfs.sh" "$base_tar" python3,redis-server || exit 1
: >"$results"
log "$(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs per phase; port $port; work dir $work"
"$stack_bin" image import "$base_tar" demo-base:bookworm >/dev/null || exit 1

lifecycle stack "$stack_bin image build -q -t flask-redis-web" . "$stack_bin"
stack_memory
container_start stack "$stack_bin container"
replicas stack "$stack_bin"
redis_throughput stack stack_ip "$stack_bin" container

for peer in $peers; do
  case $peer in
    docker)
      if ensure_docker; then
        if command -v docker-compose >/dev/null; then
          lifecycle docker-compose "docker-compose build" web docker-compose
          docker_memory
          replicas docker-compose docker-compose
        else log "docker-compose is not installed: its phases skipped"; fi
        container_start docker docker
        redis_throughput docker docker_ip docker
      else log "Docker is not installed or does not start: skipped"; fi ;;
    compose-v2)
      # the Compose the targets are set against, built once from the Go
      # module proxy by bench/compose-v2.sh (minutes the first time)
      if v2=$("$here/compose-v2.sh") && ensure_docker; then
        lifecycle compose-v2 "$v2 build" web "$v2"
        replicas compose-v2 "$v2"
      else log "Docker Compose v2 or Docker is not available: skipped"; fi ;;
    podman)
      if ensure_podman; then
        if command -v podman-compose >/dev/null; then
          lifecycle podman-compose "podman-compose build" web podman-compose
        fi
        container_start podman "podman --runtime runc" "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
      else log "Podman is not installed: skipped"; fi ;;
  esac
done

# The other scripts here measure single parts (image import, build, registry,
# container start on busybox against runc) with their own tables.
if [ -n "${WITH_PARTS:-}" ]; then
  for part in container image-import build registry; do
    [ -x "$here/$part.sh" ] || continue
    echo "## bench/$part.sh"; STACK_BIN=$stack_bin "$here/$part.sh" 2>&1 | grep -v '^bench: '; echo
  done
fi

echo "# bench/run.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), medians of $runs runs"
print_table
if [ -s "$failures" ]; then echo; echo "failed:"; cat "$failures"; echo "their output, last lines:"; tail -5 "$errors"; fi
