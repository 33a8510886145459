#!/usr/bin/env bash
# `npm run bench -- --tickets N [--seed S] [--only floor,simple,complete,pgloader]`:
# builds dist/, makes sure pgloader is installed (the Debian package), then
# runs the bench; arguments pass through (--help lists them).
# A pgloader that cannot be installed is not fatal: its row then says so.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# SDM_SKIP_BUILD=1: dist/ is fresh already (the test suite builds it once).
if [[ "${SDM_SKIP_BUILD:-}" != 1 ]]; then
  echo "bench: building dist/" >&2
  npx tsc -p tsconfig.build.json
fi

install_pgloader() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || return 1
    sudo=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q pgloader >&2 ||
    { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q pgloader >&2; }
}

if ! command -v pgloader >/dev/null 2>&1; then
  echo "bench: pgloader is missing; installing the Debian package with apt-get" >&2
  if ! install_pgloader; then
    echo "bench: could not install pgloader with apt-get (not root and no passwordless sudo, or no package source reachable)." >&2
    echo "bench: install it yourself with 'apt-get install pgloader'; the bench goes on and reports pgloader as FAILED." >&2
  fi
fi

exec node dist/bench/bench.js "$@"
