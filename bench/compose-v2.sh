#!/usr/bin/env bash
# Prints the path of a Docker Compose v2 binary for the side-by-side
# benchmarks, building it once from the Go module proxy when it is missing
# (Debian's archive carries only docker-compose 1.29). The binary is cached
# under /var/cache/stack-bench; building takes several minutes the first time.
#
#   compose=$(bench/compose-v2.sh)          # v2.40.3
#   COMPOSE_V2_VERSION=v2.40.3 bench/compose-v2.sh
set -euo pipefail
version=${COMPOSE_V2_VERSION:-v2.40.3}
cache=${STACK_BENCH_CACHE:-/var/cache/stack-bench}
bin=$cache/docker-compose-$version
if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "$version"; then
  echo "$bin"
  exit 0
fi
export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "compose-v2.sh: go is not installed" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d /tmp/compose-v2.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The module's go.mod has exclude directives, so `go install mod@version`
# refuses it: build from a copy of the module's source instead.
dir=$(cd "$work" && go mod download -json "github.com/docker/compose/v2@$version" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
echo "compose-v2.sh: building Docker Compose $version (minutes)" >&2
(cd "$work/src" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
  -o "$bin.tmp" ./cmd) >&2
mv "$bin.tmp" "$bin"
echo "$bin"
