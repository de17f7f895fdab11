# Sourced by bench/run.sh and bench/lifecycle.sh: edits of the Flask+Redis
# demo's copied stack files shared by both.

# set_env_name DIR VALUE: web's environment gets NAME=VALUE, in both the
# stack file and the peers' docker-compose.yml
set_env_name() {
  local f
  for f in "$1/stack.yaml" "$1/docker-compose.yml"; do
    sed -i '/^    environment:$/d; /^      NAME: /d' "$f"
    sed -i "s/^    ports:\$/    environment:\n      NAME: $2\n    ports:/" "$f"
  done
}
