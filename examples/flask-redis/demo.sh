#!/usr/bin/env bash
# Runs the Flask+Redis demo: prepares the Debian base image (once), builds the
# web image from its Dockerfile, starts the stack and shows the page twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
stack=${STACK_BIN:-$top/bin/stack}
cache=${STACK_CACHE:-/var/cache/stack}
base_tar=$cache/demo-base.tar

mkdir -p "$cache"
if ! "$stack" image inspect demo-base:bookworm >/dev/null 2>&1; then
  if [ ! -s "$base_tar" ]; then
    echo "==> Making the Debian base root filesystem (python3, redis-server) from Debian's archive"
    "$top/examples/base-images/debian-rootfs.sh" "$base_tar" python3,redis-server
  fi
  echo "==> Importing it as demo-base:bookworm"
  "$stack" image import "$base_tar" demo-base:bookworm
fi

cd "$here"
echo "==> stack up -d --build"
"$stack" up -d --build

echo "==> stack ps"
"$stack" ps

for i in 1 2; do
  page=
  for _ in $(seq 1 100); do
    # Until Redis answers too, the page says the counter is disabled.
    page=$(curl -fsS --max-time 3 http://127.0.0.1:4000/ 2>/dev/null) && [[ $page == *"Visits:</b> "[0-9]* ]] && break
    page=
    sleep 0.1
  done
  echo "==> curl http://localhost:4000/ ($i)"
  echo "${page:?the page did not answer on port 4000}"
done
echo
echo "The demo is running. Stop it with: (cd examples/flask-redis && $stack down)"
