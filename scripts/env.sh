# Sourced by the project's scripts: the environment every Pulumi run here uses.
# Exports PROJECT_ROOT, PULUMI_BIN_DIR and the PULUMI_* settings below, and
# puts the CLI and its plugins first on PATH (building them when absent).
#
# The dev stack's passphrase, documented in the README, is the default only
# for the dev stack; any other stack needs PULUMI_CONFIG_PASSPHRASE(_FILE).
DEV_STACK_PASSPHRASE="servicedesk-dev-only"

PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PROJECT_ROOT
if [[ -z "${PULUMI_BIN_DIR:-}" ]]; then
  PULUMI_BIN_DIR=$(bash "$PROJECT_ROOT/scripts/build-pulumi-cli.sh" | tail -n1)
fi
export PULUMI_BIN_DIR
export PATH="$PULUMI_BIN_DIR:$PATH"
# A local file backend in a git-ignored folder of the project.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PROJECT_ROOT/.pulumi/state}"
export PULUMI_HOME="${PULUMI_HOME:-$PROJECT_ROOT/.pulumi/home}"
# No network: no update checks, no plugin downloads (the postgresql and docker
# provider plugins cannot be had offline and stay disabled by default).
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "${PULUMI_BACKEND_URL#file://}" "$PULUMI_HOME"
