#!/usr/bin/env bash
# Builds the Pulumi CLI and this project's Node.js language host from the Go
# module proxy, and installs them with the dynamic-provider launcher into a
# cache folder outside the clone, keyed by version, so that a fresh clone and
# CI reuse one build. Prints the bin folder on its last line.
#
#   bash scripts/build-pulumi-cli.sh                 build if absent, print bin dir
#   bash scripts/build-pulumi-cli.sh --print         print bin dir, build nothing
#   bash scripts/build-pulumi-cli.sh --from PATH     install a prebuilt bin folder (or a
#                                                    tarball made by --export) instead of building
#   bash scripts/build-pulumi-cli.sh --export FILE   build if absent, then write the bin folder
#                                                    as FILE (.tar.gz) for another machine
#
# The first build downloads about 1.4 GB of Go modules and compiles for several
# minutes (README: "First run"). Go's own output goes to a log file in the
# cache; the terminal gets a line per stage and one every PROGRESS_SECONDS.
#
# Environment: PULUMI_CLI_CACHE (default ~/.cache/servicedesk-migration/pulumi-cli),
# PULUMI_CLI_PREBUILT (same as --from), PULUMI_CLI_PROGRESS_SECONDS (default 20).
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
progress_seconds="${PULUMI_CLI_PROGRESS_SECONDS:-20}"

log() { echo "build-pulumi-cli: $*" >&2; }
die() {
  log "$*"
  exit 1
}

mode=build
from="${PULUMI_CLI_PREBUILT:-}"
export_file=""
case "${1:-}" in
  "") ;;
  --print) mode=print ;;
  --from) from="${2:?--from needs a folder or a .tar.gz}" ;;
  --export) export_file="${2:?--export needs a file name (.tar.gz)}" ;;
  *) die "unknown argument $1 (expected --print, --from PATH or --export FILE)" ;;
esac

if [[ "$mode" == print ]]; then
  echo "$bin"
  exit 0
fi

installed() {
  [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-nodejs" && -x "$bin/pulumi-resource-pulumi-nodejs" ]] &&
    [[ "$("$bin/pulumi" version 2>/dev/null)" == "v$version" ]]
}

# Writes what the folder holds, so --from on another machine can tell a host
# built from other sources.
write_build_info() {
  printf 'pulumi v%s\nhost %s\nbuilt %s on %s\n' "$version" "$host_hash" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -m)" >"$1/BUILD-INFO"
}

export_bin() {
  [[ -n "$export_file" ]] || return 0
  tar -C "$bin" -czf "$export_file" .
  log "wrote $export_file ($(du -h "$export_file" | cut -f1)); install it elsewhere with: bash scripts/build-pulumi-cli.sh --from $(basename "$export_file")"
}

staging="$cache/.staging-$$"
cleanup() { rm -rf "$staging"; }

install_prebuilt() {
  local source=$1
  mkdir -p "$cache"
  rm -rf "$staging"
  mkdir -p "$staging"
  trap cleanup EXIT
  if [[ -d "$source" ]]; then
    cp -a "$source/." "$staging/"
  elif [[ -f "$source" ]]; then
    tar -C "$staging" -xzf "$source" || die "$source is not a tarball made by --export"
  else
    die "prebuilt CLI $source: no such folder or file"
  fi
  [[ -x "$staging/pulumi" && -x "$staging/pulumi-language-nodejs" ]] ||
    die "prebuilt CLI $source: needs the executables pulumi and pulumi-language-nodejs"
  local found
  found=$("$staging/pulumi" version 2>/dev/null || true)
  [[ "$found" == "v$version" ]] || die "prebuilt CLI $source: pulumi version is '${found:-unknown}', this project pins v$version (toolchain/go.mod)"
  if [[ -f "$staging/BUILD-INFO" ]] && ! grep -qx "host $host_hash" "$staging/BUILD-INFO"; then
    die "prebuilt CLI $source: its language host was built from other sources than toolchain/ (BUILD-INFO: $(grep '^host ' "$staging/BUILD-INFO"), here: host $host_hash)"
  fi
  # The launcher is a script of this repository: always this clone's.
  install -m 0755 "$toolchain/pulumi-resource-pulumi-nodejs" "$staging/pulumi-resource-pulumi-nodejs"
  [[ -f "$staging/BUILD-INFO" ]] || write_build_info "$staging"
  rm -rf "$bin"
  mkdir -p "$(dirname "$bin")"
  mv "$staging" "$bin"
  trap - EXIT
  log "installed the prebuilt CLI from $source into $bin"
}

if [[ -n "$from" ]]; then
  install_prebuilt "$from"
  echo "$bin"
  exit 0
fi

if installed; then
  export_bin
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    log "Go is not installed, and the Pulumi CLI is built from Go modules here."
    log "Install Go (https://go.dev/dl/), install a folder built on another machine with"
    log "--from (see --export), or on a machine with internet use Pulumi's official installer"
    log "(curl -fsSL https://get.pulumi.com | sh) and set PULUMI_BIN_DIR to the folder"
    log "holding pulumi and pulumi-language-nodejs."
    exit 1
  fi
fi

# The CLI must not be older than the SDK the program runs with.
sdk_version=$(node -e 'process.stdout.write(require(process.argv[1]).packages["node_modules/@pulumi/pulumi"]?.version ?? "")' "$root/package-lock.json")
if [[ -n "$sdk_version" ]] && [[ "$(printf '%s\n%s\n' "$sdk_version" "$version" | sort -V | tail -n1)" != "$version" ]]; then
  die "toolchain/go.mod pins the CLI at $version, older than @pulumi/pulumi $sdk_version in package-lock.json."
fi

started=$SECONDS
mkdir -p "$cache"
build_log="$cache/build-v$version.log"
: >"$build_log"
rm -rf "$staging"
mkdir -p "$staging"
trap cleanup EXIT
cd "$toolchain"
module_cache=$(go env GOMODCACHE)

module_cache_mb() { du -sm "$module_cache" 2>/dev/null | cut -f1 || echo 0; }

# Runs one stage with Go's output in the log, printing a line every
# progress_seconds; a failure shows the log's tail.
stage() {
  local name=$1 report=$2
  shift 2
  local began=$SECONDS next=$((SECONDS + progress_seconds))
  echo "== $name" >>"$build_log"
  "$@" >>"$build_log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)); then
      log "  $name: $((SECONDS - began))s$($report)"
      next=$((SECONDS + progress_seconds))
    fi
  done
  if ! wait "$pid"; then
    log "$name failed after $((SECONDS - began))s; the last lines of $build_log:"
    tail -n 30 "$build_log" >&2
    exit 1
  fi
  stage_seconds=$((SECONDS - began))
}
download_report() { echo ", $(module_cache_mb) MB in the Go module cache"; }
no_report() { :; }
# Listing the packages' dependencies fetches exactly the modules the build
# needs (the package list itself is not worth keeping). -mod=readonly: go.sum
# is committed; a module whose hash differs fails.
download_modules() { go list -mod=readonly -deps github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./pulumi-language-nodejs >/dev/null; }

# The CLI depends only on the version: one build serves every host revision.
cli="$cache/v$version/pulumi"
if [[ ! -x "$cli" || "$("$cli" version 2>/dev/null)" != "v$version" ]]; then
  log "building Pulumi CLI v$version from the Go module proxy; Go's output: $build_log"
  before_mb=$(module_cache_mb)
  log "1/3 downloading Go modules (about 1.4 GB into an empty cache; $before_mb MB there now)"
  stage "downloading Go modules" download_report download_modules
  log "1/3 downloaded $(($(module_cache_mb) - before_mb)) MB in ${stage_seconds}s"
  log "2/3 compiling the Pulumi CLI (the longest stage)"
  stage "compiling the Pulumi CLI" no_report go build -mod=readonly -trimpath -o "$staging/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$staging/pulumi" version | grep -qx "v$version" || die "built CLI does not report v$version"
  log "2/3 compiled the CLI in ${stage_seconds}s ($(du -h "$staging/pulumi" | cut -f1))"
  mkdir -p "$(dirname "$cli")"
  mv "$staging/pulumi" "$cli"
fi

log "3/3 building the Node.js language host"
stage "building the language host" no_report go build -mod=readonly -trimpath -o "$staging/pulumi-language-nodejs" \
  -ldflags "-s -w -X main.version=$version" ./pulumi-language-nodejs
install -m 0755 "$toolchain/pulumi-resource-pulumi-nodejs" "$staging/pulumi-resource-pulumi-nodejs"
# A hard link, not a symlink: the CLI looks for its language hosts next to
# its own resolved path, and warns when it has to search PATH instead.
ln "$cli" "$staging/pulumi" 2>/dev/null || cp "$cli" "$staging/pulumi"
write_build_info "$staging"

rm -rf "$bin"
mkdir -p "$(dirname "$bin")"
mv "$staging" "$bin"
trap - EXIT
log "done in $((SECONDS - started))s: $(du -shL "$bin" | cut -f1) in $bin"
export_bin
echo "$bin"
