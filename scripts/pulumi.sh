#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the Pulumi CLI with this project's environment
# (see scripts/env.sh). The dev stack gets its documented default passphrase.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PROJECT_ROOT"

# The stack this command targets: --stack/-s, else the workspace's selection.
target_stack() {
  local prev=""
  for arg in "$@"; do
    case "$arg" in
      --stack=*) echo "${arg#--stack=}"; return ;;
      -s=*) echo "${arg#-s=}"; return ;;
    esac
    if [[ "$prev" == "--stack" || "$prev" == "-s" ]]; then echo "$arg"; return; fi
    prev="$arg"
  done
  echo "${PULUMI_STACK:-}"
}

stack=$(target_stack "$@")
if [[ -z "$stack" ]]; then
  stack=$(pulumi stack --show-name 2>/dev/null || true)
fi
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" && "${stack##*/}" == "dev" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="$DEV_STACK_PASSPHRASE"
fi
exec pulumi "$@"
