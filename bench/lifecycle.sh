#!/usr/bin/env bash
# The command-line figures of BENCHMARKS.md, stack, docker-compose 1.29 and
# Docker Compose v2 (bench/compose-v2.sh) side by side from one run, on the
# same stack files:
#   - what any command pays on this machine: exec of /bin/true, `stack version`;
#   - `up -d` with nothing changed and `ps`, on a two-service busybox stack and
#     (when the demo base is there) on the Flask+Redis demo;
#   - on the Flask+Redis demo, `up -d` after a change of web's environment
#     until the changed page is served, and `down` (the default stop
#     timeout: SIGTERM, then SIGKILL after 10 s);
#   - 50 replicas: `up -d --scale web=50`, then `down -t 0`;
#   - with Compose v2 and hyperfine, the busybox pair's no-op up -d and ps
#     again, stack and Compose v2 in turn (ROUNDS_INTERLEAVED rounds).
# Short commands are timed by hyperfine -N (no shell in between), medians of
# RUNS runs; the demo's recreate and down, and the 50 replicas, by the
# clock, medians of RUNS_DEMO and RUNS50 rounds.
#
#   bench/lifecycle.sh                  # stack, docker-compose 1.29 and Docker Compose v2
#   RUNS=50 RUNS50=5 PEERS= bench/lifecycle.sh   # stack alone
#   RUNS=20 RUNS50=0 RUNS_DEMO=5 PEERS=compose-v2 bench/lifecycle.sh   # no 50 replicas
#
# Stack keeps its state in a private --root/--run-root. docker-compose talks
# to a private dockerd (own data root and socket, no iptables, no default
# bridge), stopped at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
stack_bin=${STACK_BIN:-$top/bin/stack}
runs=${RUNS:-30}
runs50=${RUNS50:-3}
runs_demo=${RUNS_DEMO:-3}
peers=${PEERS-docker compose-v2}
demo_tar=${STACK_BENCH_BASE:-/var/cache/stack/demo-base.tar}
busybox_tar=/var/cache/stack-test/busybox-rootfs.tar
work=$(mktemp -d /tmp/stack-lc.XXXXXX)
run_root=$(mktemp -d /tmp/sl.XXXXXX) # unix socket paths must stay short
results=$work/results.tsv
export STACK_ROOT=$work/stack-root STACK_RUN_ROOT=$run_root
dockerd_pid=
v2=
trap cleanup EXIT

log() { echo "bench: $*" >&2; }

# record TOOL MEASURE SECONDS
record() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"
  log "$1: $2: $3 s"
}

# timed TOOL MEASURE CMD...: the median of RUNS runs of CMD
timed() {
  local tool=$1 measure=$2; shift 2
  if ! "$@" >/dev/null 2>"$work/last.err"; then
    log "$tool: $measure: failed: $(tail -2 "$work/last.err")"
    return 1
  fi
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 3 -r "$runs" --export-json "$work/h.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1 &&
      record "$tool" "$measure" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json")"
  else
    local t=() i t0
    for i in $(seq 1 "$runs"); do
      t0=$(date +%s%N); "$@" >/dev/null 2>&1; t+=("$(( $(date +%s%N) - t0 ))")
    done
    record "$tool" "$measure" "$(printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.6f", a[int((NR+1)/2)]/1e9}')"
  fi
}

# clock CMD...: seconds CMD took
clock() {
  local t0; t0=$(date +%s%N)
  "$@" >/dev/null 2>>"$work/errors.log" || { log "failed: $*"; return 1; }
  awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.4f\n", (b-a)/1e9}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

pair_file() {
  cat <<'EOF'
services:
  web:
    image: busybox
    command: ["sleep", "100000"]
    depends_on: [db]
  db:
    image: busybox
    command: ["sleep", "100000"]
EOF
}

scale_file() {
  printf 'services:\n  web:\n    image: busybox\n    command: ["sleep", "100000"]\n'
}

# project TOOL NAME WRITER: a directory with the stack file under both names
project() {
  local dir=$work/$1-$2
  mkdir -p "$dir" && $3 >"$dir/stack.yaml" && cp "$dir/stack.yaml" "$dir/docker-compose.yml"
  echo "$dir"
}

demo_project() {
  local dir=$work/$1-demo port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
  cp -r "$top/examples/flask-redis" "$dir" && sed -i "s/\"4000:80\"/\"$port:80\"/" "$dir/stack.yaml"
  # the private dockerd has no bridge: its builds take the host's network,
  # as stack's do
  sed 's/^    build: \.$/    build:\n      context: .\n      network: host/' "$dir/stack.yaml" >"$dir/docker-compose.yml"
  echo "$dir"
}

# short_commands TOOL FILE COMPOSE...: no-op up -d and ps on the busybox
# pair and the demo; FILE is the stack file's name in the project directories
short_commands() {
  local tool=$1 file=$2; shift 2
  local dir
  dir=$(project "$tool" pair pair_file)
  "$@" -f "$dir/$file" -p lcpair up -d >/dev/null 2>>"$work/errors.log" || { log "$tool: up of the pair failed"; return 1; }
  timed "$tool" "up -d, nothing changed (busybox pair)" "$@" -f "$dir/$file" -p lcpair up -d
  timed "$tool" "ps (busybox pair)" "$@" -f "$dir/$file" -p lcpair ps
  "$@" -f "$dir/$file" -p lcpair down -t 0 >/dev/null 2>&1
  [ -n "$demo" ] || return 0
  dir=$(demo_project "$tool")
  # Compose v2 names the image lcdemo-web, v1 lcdemo_web: when v2 cannot
  # build here, it takes the image v1 built in the same dockerd.
  "$@" -f "$dir/$file" -p lcdemo build >/dev/null 2>>"$work/errors.log" ||
    docker tag lcdemo_web:latest lcdemo-web:latest >/dev/null 2>>"$work/errors.log"
  "$@" -f "$dir/$file" -p lcdemo up -d >/dev/null 2>>"$work/errors.log" || { log "$tool: up of the demo failed"; return 1; }
  timed "$tool" "up -d, nothing changed (Flask+Redis)" "$@" -f "$dir/$file" -p lcdemo up -d
  timed "$tool" "ps (Flask+Redis)" "$@" -f "$dir/$file" -p lcdemo ps
  demo_changes "$tool" "$dir" "$file" "$@"
  "$@" -f "$dir/$file" -p lcdemo down -t 0 >/dev/null 2>&1
}

. "$here/demo-env.sh" # set_env_name

# wait_page PORT T0 TEXT: polls the demo's page until it shows a visit count
# and TEXT; prints the seconds since T0 (microseconds, as EPOCHREALTIME). Bash
# alone (/dev/tcp, read -t on the never-written fifo on fd 4 as the pause):
# a process per try would take CPU from the start it waits for. A subshell
# that ignores SIGPIPE: a proxy may accept and close before the container
# listens.
wait_page() (
  trap '' PIPE
  local port=$1 t0=$2 text=$3 page line d end=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$end" ]; do
    if exec 5<>"/dev/tcp/127.0.0.1/$port"; then
      printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&5
      page=
      while IFS= read -r -t 2 -u 5 line || [ -n "$line" ]; do page+=$line$'\n'; line=; done
      exec 5<&-
      if [[ $page == *"Visits:</b> "[0-9]* && $page == *"$text"* ]]; then
        d=$((${EPOCHREALTIME/./} - t0))
        printf '%d.%06d\n' $((d / 1000000)) $((d % 1000000))
        return 0
      fi
    fi 2>/dev/null
    read -r -t 0.005 -u 4 line
  done
  log "the page on port $port never showed a visit count with $text"; return 1
)

# demo_changes TOOL DIR FILE COMPOSE...: on the running demo, RUNS_DEMO
# rounds of: change web's environment, `up -d` until the changed page is
# served; `down`; `up -d` again (not timed) for the next round
demo_changes() {
  local tool=$1 dir=$2 file=$3; shift 3
  local port i t t0 recreate=() down=()
  port=$(sed -n 's/.*"\([0-9]*\):80".*/\1/p' "$dir/stack.yaml")
  for i in $(seq 1 "$runs_demo"); do
    set_env_name "$dir" "Bench$i"
    t0=${EPOCHREALTIME/./}
    if "$@" -f "$dir/$file" -p lcdemo up -d >/dev/null 2>"$work/last.err"; then
      t=$(wait_page "$port" "$t0" "Hello Bench$i") && recreate+=("$t")
    else
      log "$tool: up -d after the change failed: $(tail -2 "$work/last.err")"
    fi
    t=$(clock "$@" -f "$dir/$file" -p lcdemo down) && down+=("$t")
    t0=${EPOCHREALTIME/./}
    "$@" -f "$dir/$file" -p lcdemo up -d >/dev/null 2>>"$work/errors.log" && wait_page "$port" "$t0" "Hello Bench$i" >/dev/null
  done
  [ ${#recreate[@]} -gt 0 ] && record "$tool" "up -d after env change -> changed page (Flask+Redis)" "$(printf '%s\n' "${recreate[@]}" | median)"
  [ ${#down[@]} -gt 0 ] && record "$tool" "down (Flask+Redis)" "$(printf '%s\n' "${down[@]}" | median)"
}

# replicas TOOL FILE COMPOSE...: 50 replicas up, then down
replicas() {
  local tool=$1 file=$2; shift 2
  local dir up=() down=() t
  dir=$(project "$tool" scale scale_file)
  for _ in $(seq 1 "$runs50"); do
    t=$(clock "$@" -f "$dir/$file" -p lcscale up -d --scale web=50) && up+=("$t")
    t=$(clock "$@" -f "$dir/$file" -p lcscale down -t 0) && down+=("$t")
  done
  [ ${#up[@]} -gt 0 ] && record "$tool" "50 replicas up -d" "$(printf '%s\n' "${up[@]}" | median)"
  [ ${#down[@]} -gt 0 ] && record "$tool" "50 replicas down" "$(printf '%s\n' "${down[@]}" | median)"
}

# interleaved: no-op up -d and ps of the busybox pair for stack and
# Compose v2 in turn, ROUNDS_INTERLEAVED rounds of a few runs each, so that
# both meet the machine in the same state (the sections above measure the
# tools minutes apart, and this shared machine drifts); medians of all runs
interleaved() {
  [ -n "$v2" ] && [ -n "$dockerd_pid" ] || return 0
  local rounds=${ROUNDS_INTERLEAVED:-6} per sdir vdir r i
  per=$(( (runs + rounds - 1) / rounds ))
  sdir=$(project stack ipair pair_file)
  vdir=$(project compose-v2 ipair pair_file)
  "$stack_bin" -f "$sdir/stack.yaml" -p lcipair up -d >/dev/null 2>>"$work/errors.log" &&
    "$v2" -f "$vdir/docker-compose.yml" -p lcipair up -d >/dev/null 2>>"$work/errors.log" ||
    { log "interleaved: up of the pairs failed"; return 1; }
  local -a cmds=(
    "stack|up -d, nothing changed (busybox pair, interleaved)|$stack_bin -f $sdir/stack.yaml -p lcipair up -d"
    "compose-v2|up -d, nothing changed (busybox pair, interleaved)|$v2 -f $vdir/docker-compose.yml -p lcipair up -d"
    "stack|ps (busybox pair, interleaved)|$stack_bin -f $sdir/stack.yaml -p lcipair ps"
    "compose-v2|ps (busybox pair, interleaved)|$v2 -f $vdir/docker-compose.yml -p lcipair ps"
  )
  for r in $(seq 1 "$rounds"); do
    for i in "${!cmds[@]}"; do
      hyperfine -N -w 1 -r "$per" --export-json "$work/h.json" -- "${cmds[$i]##*|}" >/dev/null 2>&1 &&
        python3 -c 'import json,sys; print("\n".join(str(t) for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$work/h.json" >>"$work/interleaved.$i"
    done
  done
  for i in "${!cmds[@]}"; do
    local tool=${cmds[$i]%%|*} rest=${cmds[$i]#*|}
    [ -s "$work/interleaved.$i" ] && record "$tool" "${rest%%|*}" "$(median <"$work/interleaved.$i")"
  done
  "$stack_bin" -f "$sdir/stack.yaml" -p lcipair down -t 0 >/dev/null 2>&1
  "$v2" -f "$vdir/docker-compose.yml" -p lcipair down -t 0 >/dev/null 2>&1
}

start_dockerd() {
  [ -z "$dockerd_pid" ] || return 0
  for tool in dockerd docker; do
    command -v $tool >/dev/null || { log "$tool is not installed: docker-compose skipped"; return 1; }
  done
  dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$work/docker" \
    --exec-root "$run_root/de" --pidfile "$work/dockerd.pid" -H "unix://$work/docker.sock" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$work/docker.sock COMPOSE_HTTP_TIMEOUT=600
  for _ in $(seq 1 300); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start: $(tail -3 "$work/dockerd.log")"; return 1; }
  docker import "$busybox_tar" busybox:latest >/dev/null || return 1
  [ -z "$demo" ] || docker import "$demo_tar" demo-base:bookworm >/dev/null || return 1
}

cleanup() {
  for p in lcpair lcdemo lcscale lcipair; do
    for d in "$work"/stack-*/; do "$stack_bin" -f "$d/stack.yaml" -p $p down -t 0 >/dev/null 2>&1; done
  done
  if [ -n "$dockerd_pid" ]; then
    for p in lcpair lcdemo lcscale lcipair; do
      for d in "$work"/docker-compose-*/; do docker-compose -f "$d/docker-compose.yml" -p $p down -t 0 >/dev/null 2>&1; done
      for d in "$work"/compose-v2-*/; do "${v2:-false}" -f "$d/docker-compose.yml" -p $p down -t 0 >/dev/null 2>&1; done
    done
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  grep -o " $work[^ ]*\| $run_root[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" "$run_root"
}

print_table() {
  python3 - "$results" <<'PY'
import sys
rows, tools = {}, []
for line in open(sys.argv[1]):
    tool, measure, value = line.rstrip("\n").split("\t")
    if tool not in tools: tools.append(tool)
    rows.setdefault(measure, {})[tool] = float(value)
fmt = lambda v: "-" if v is None else ("%.1f ms" % (v * 1000) if v < 1 else "%.2f s" % v)
peers = [t for t in tools if t != "stack"]
print("| measure | " + " | ".join(tools) + "".join(" | %s / stack" % t for t in peers) + " |")
print("|" + " --- |" * (1 + len(tools) + len(peers)))
for measure, vals in rows.items():
    cells = [fmt(vals.get(t)) for t in tools]
    for t in peers:
        cells.append("%.1fx" % (vals[t] / vals["stack"]) if t in vals and vals.get("stack") else "-")
    print("| %s | %s |" % (measure, " | ".join(cells)))
PY
}

[ "$(id -u)" = 0 ] || { echo "bench/lifecycle.sh: run as root" >&2; exit 1; }
[ -x "$stack_bin" ] || { echo "bench/lifecycle.sh: $stack_bin is missing: run make build" >&2; exit 1; }
[ -s "$busybox_tar" ] || { mkdir -p "$(dirname "$busybox_tar")" && "$top/examples/base-images/busybox-rootfs.sh" "$busybox_tar"; } || exit 1
demo=
[ -s "$demo_tar" ] && demo=1 || log "no demo base at $demo_tar (make demo makes it): Flask+Redis figures skipped"
: >"$results"
mkfifo "$work/pause" && exec 4<>"$work/pause" # see wait_page
log "$(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs, $runs50 rounds of 50 replicas; work dir $work"
"$stack_bin" image import "$busybox_tar" busybox >/dev/null || exit 1
[ -z "$demo" ] || "$stack_bin" image import "$demo_tar" demo-base:bookworm >/dev/null || exit 1

timed stack "floor: exec of /bin/true" /bin/true
timed stack "floor: stack version" "$stack_bin" version
short_commands stack stack.yaml "$stack_bin"
replicas stack stack.yaml "$stack_bin"
for peer in $peers; do
  case $peer in
    docker)
      if ! command -v docker-compose >/dev/null; then log "docker-compose is not installed: skipped"
      elif start_dockerd; then
        short_commands docker-compose docker-compose.yml docker-compose
        replicas docker-compose docker-compose.yml docker-compose
      fi ;;
    compose-v2)
      # the Compose the targets are set against; built once from the Go
      # module proxy by bench/compose-v2.sh (minutes the first time)
      if v2=$("$here/compose-v2.sh") && start_dockerd; then
        short_commands compose-v2 docker-compose.yml "$v2"
        replicas compose-v2 docker-compose.yml "$v2"
      else log "Docker Compose v2 is not available: skipped"; fi ;;
    *) log "unknown peer $peer" ;;
  esac
done

command -v hyperfine >/dev/null && interleaved

echo "# bench/lifecycle.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), medians"
print_table
echo
echo "Reference (BENCHMARKS.md, Docker Compose 2.40 on the reference machine): up -d with nothing changed 31 ms, ps 31 ms, recreate after an env change 10.5 s, down 10.5 s, 50 replicas up 9.36 s, down 3.44 s; targets for stack: 5 ms, 5 ms, 0.3 s, 0.15 s, 1 s, 1 s."
