#!/usr/bin/env bash
# `npm run demo`: the main job on the dev stack: `pulumi up` with the local
# file backend, then the stack's outputs. `npm run demo -- --destroy` removes
# what it created.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"

[[ -d node_modules ]] || npm ci --no-audit --no-fund
npm run --silent build
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-$DEV_STACK_PASSPHRASE}"
pulumi stack select dev --create --non-interactive >/dev/null

if [[ "${1:-}" == "--destroy" ]]; then
  pulumi destroy --yes --stack dev --non-interactive
  exit 0
fi
pulumi up --yes --stack dev --non-interactive --skip-preview
pulumi stack output --stack dev
