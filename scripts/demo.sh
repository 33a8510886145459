#!/usr/bin/env bash
# `npm run demo`: the main job on a fresh clone. Installs what is missing,
# builds, generates a sample ServiceDesk export, finds a PostgreSQL (yours,
# or an embedded one), runs `pulumi up` of the dev stack and prints a
# summary. `npm run demo -- --destroy` removes what it created.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[[ -d node_modules/@pulumi/pulumi ]] || npm ci --no-audit --no-fund
source scripts/env.sh
npm run --silent build
exec node scripts/demo.mjs "$@"
