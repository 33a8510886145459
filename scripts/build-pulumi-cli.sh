#!/usr/bin/env bash
# Builds the Pulumi CLI and this project's Node.js language host from the Go
# module proxy, and installs them with the dynamic-provider launcher into a
# cache folder outside the clone, keyed by version, so that a fresh clone and
# CI reuse one build. Prints the bin folder on its last line.
#
#   bash scripts/build-pulumi-cli.sh            build if absent, print bin dir
#   bash scripts/build-pulumi-cli.sh --print    print bin dir, build nothing
#
# Environment: PULUMI_CLI_CACHE (default ~/.cache/servicedesk-migration/pulumi-cli)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
toolchain="$root/toolchain"
# The CLI release: the version of github.com/pulumi/pulumi/pkg/v3 in toolchain/go.mod.
version=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { sub(/^v/, "", $2); print $2 }' "$toolchain/go.mod")
cache="${PULUMI_CLI_CACHE:-$HOME/.cache/servicedesk-migration/pulumi-cli}"
# The host's own sources are part of the key, so editing them rebuilds it.
host_hash=$(cat "$toolchain/go.mod" "$toolchain/go.sum" "$toolchain"/pulumi-language-nodejs/*.go \
  "$toolchain/pulumi-resource-pulumi-nodejs" | sha256sum | cut -c1-12)
bin="$cache/v$version-$host_hash/bin"

log() { echo "build-pulumi-cli: $*" >&2; }

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

if [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-nodejs" && -x "$bin/pulumi-resource-pulumi-nodejs" ]] &&
  [[ "$("$bin/pulumi" version 2>/dev/null)" == "v$version" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    log "Go is not installed, and the Pulumi CLI is built from Go modules here."
    log "Install Go (https://go.dev/dl/), or on a machine with internet use Pulumi's"
    log "official installer (curl -fsSL https://get.pulumi.com | sh) and set PULUMI_BIN_DIR"
    log "to the folder holding pulumi and pulumi-language-nodejs."
    exit 1
  fi
fi

# The CLI must not be older than the SDK the program runs with.
sdk_version=$(node -e 'process.stdout.write(require(process.argv[1]).packages["node_modules/@pulumi/pulumi"]?.version ?? "")' "$root/package-lock.json")
if [[ -n "$sdk_version" ]] && [[ "$(printf '%s\n%s\n' "$sdk_version" "$version" | sort -V | tail -n1)" != "$version" ]]; then
  log "toolchain/go.mod pins the CLI at $version, older than @pulumi/pulumi $sdk_version in package-lock.json."
  exit 1
fi

started=$(date +%s)
staging="$cache/.staging-$$"
rm -rf "$staging"
mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT
cd "$toolchain"

# The CLI depends only on the version: one build serves every host revision.
cli="$cache/v$version/pulumi"
if [[ ! -x "$cli" || "$("$cli" version 2>/dev/null)" != "v$version" ]]; then
  log "building Pulumi CLI v$version from the Go module proxy (first build: about 4 minutes)"
  # -mod=readonly: go.sum is committed; a module whose hash differs fails the build.
  go build -mod=readonly -trimpath -o "$staging/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$staging/pulumi" version | grep -qx "v$version" || { log "built CLI does not report v$version"; exit 1; }
  mkdir -p "$(dirname "$cli")"
  mv "$staging/pulumi" "$cli"
fi

log "building the Node.js language host into $bin"
go build -mod=readonly -trimpath -o "$staging/pulumi-language-nodejs" \
  -ldflags "-s -w -X main.version=$version" ./pulumi-language-nodejs
install -m 0755 "$toolchain/pulumi-resource-pulumi-nodejs" "$staging/pulumi-resource-pulumi-nodejs"
# A hard link, not a symlink: the CLI looks for its language hosts next to
# its own resolved path, and warns when it has to search PATH instead.
ln "$cli" "$staging/pulumi" 2>/dev/null || cp "$cli" "$staging/pulumi"

rm -rf "$bin"
mkdir -p "$(dirname "$bin")"
mv "$staging" "$bin"
trap - EXIT
log "done in $(( $(date +%s) - started ))s: $(du -shL "$bin" | cut -f1) in $bin"
echo "$bin"
