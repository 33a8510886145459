#!/usr/bin/env bash
# The pipeline's steps (docs/pipeline): build, select $STACK, preview or up,
# non-interactively. Usage: STACK=prod bash scripts/pipeline.sh preview|up
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"
command="${1:-}"
: "${STACK:?set STACK to the stack to deploy}"
case "$command" in
  preview) args=(preview --diff) ;;
  up) args=(up --yes) ;;
  *) echo "usage: STACK=<stack> bash scripts/pipeline.sh preview|up" >&2; exit 2 ;;
esac
npm run --silent build
pulumi stack select "$STACK" --create --non-interactive
pulumi "${args[@]}" --stack "$STACK" --non-interactive
