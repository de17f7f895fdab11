#!/usr/bin/env bash
# Push and pull of the demo's Debian base through a loopback registry, stack
# and a private dockerd side by side in the same run (Go benchmark
# BenchmarkRegistryDemoBase). Each push goes to a fresh registry; each pull
# starts from an empty image store.
#
#   bench/registry.sh                 # 3 runs of each
#   RUNS=5 STACK_BENCH_BASE=/path/rootfs.tar bench/registry.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
cd "$top"
go test -count=1 -run '^$' -bench 'RegistryDemoBase' -benchtime "${runs}x" ./runtime/registry/ |
  awk '/^BenchmarkRegistryDemoBase\// {
         split($1, name, "/"); op = name[2]; tool = name[3]; sub(/-[0-9]+$/, "", tool)
         t[op, tool] = $3 / 1e9; ops[op] = 1; print }
       END {
         printf "\n%-6s %10s %10s %8s\n", "", "stack", "docker", "docker/stack"
         for (op in ops) printf "%-6s %9.2fs %9.2fs %8.1fx\n", op, t[op, "stack"], t[op, "docker"], t[op, "docker"] / t[op, "stack"]
       }'
