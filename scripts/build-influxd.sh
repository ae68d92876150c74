#!/usr/bin/env bash
# Build influxd (InfluxDB 2.x OSS) from its Go module and cache the binary.
#
#   scripts/build-influxd.sh            prints the path of the cached binary on its last line
#
# Environment:
#   INFLUXD_VERSION   module version to build (default below: the newest 2.x that builds here)
#   PROCSCOPE_CACHE   cache directory (default ~/.cache/procscope)
#
# Why each step is here is written in docs/development.md, "InfluxDB for tests".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

VERSION="${INFLUXD_VERSION:-v2.8.0}"
CACHE="${PROCSCOPE_CACHE:-$HOME/.cache/procscope}"
OUT="$CACHE/influxd-$VERSION"
MODULE=github.com/influxdata/influxdb/v2

log() { printf '[build-influxd %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -x "$OUT" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

for tool in go cargo; do
  command -v "$tool" >/dev/null || { log "need '$tool' on PATH to build influxd"; exit 2; }
done

# Debian packages libflux's build uses (C compiler for its cgo bridge, pkg-config).
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    log "missing ${missing[*]}; install them and run again"; exit 2
  fi
fi

mkdir -p "$CACHE"
start=$(date +%s)
log "downloading $MODULE@$VERSION"
src_ro=$(go mod download -json "$MODULE@$VERSION" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Dir"]) if "Dir" in d else sys.exit(d.get("Error","no Dir"))')
SRC="$CACHE/src-influxdb-$VERSION"
rm -rf "$SRC"; cp -r "$src_ro" "$SRC"; chmod -R u+w "$SRC"
cd "$SRC"
# The pkg-config wrapper's go.mod parser predates the `toolchain` directive and rejects it.
go mod edit -toolchain=none

# libflux (Rust) is built by InfluxData's pkg-config wrapper, at the version influxdb's go.mod pins.
pc_version=$(go list -m -f '{{.Version}}' github.com/influxdata/pkg-config)
log "installing github.com/influxdata/pkg-config@$pc_version"
GOFLAGS=-mod=mod go install "github.com/influxdata/pkg-config@$pc_version"
export PKG_CONFIG
PKG_CONFIG="$(go env GOPATH)/bin/pkg-config"

# flux pins an old Rust in rust-toolchain.toml that rustup cannot download here: use the installed
# one, and keep newer lints from failing libflux's deny(warnings) build.
RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-$(rustup show active-toolchain 2>/dev/null | awk '{print $1}' || echo stable)}"
export RUSTUP_TOOLCHAIN
export RUSTC_WRAPPER="$here/rustc-cap-lints.sh"
log "rust toolchain: $RUSTUP_TOOLCHAIN ($(rustc --version)); go: $(go version)"

log "go build ./cmd/influxd (first build: tens of minutes on 2 cores)"
# Progress: `go build -v` names each package as it compiles it; a heartbeat covers the long silent
# libflux (cargo) step. Errors are printed whole.
buildlog="$CACHE/build-$VERSION.log"
set +e
go build -v -ldflags="-checklinkname=0 -X main.version=$VERSION" -o "$OUT.tmp" ./cmd/influxd > "$buildlog" 2>&1 &
gopid=$!
( n=0; while kill -0 $gopid 2>/dev/null; do
    sleep 5; n=$((n + 1))
    [ $((n % 12)) = 0 ] && log "still building... ($(wc -l < "$buildlog") packages so far)"
  done ) &
tail -n +1 -f "$buildlog" --pid=$gopid | awk '{ n++; if (n % 50 == 0) { printf "[build-influxd] %d packages... %s\n", n, $0; fflush() } }' >&2
wait $gopid
status=$?
set -e
if [ $status != 0 ]; then
  log "go build failed (exit $status); the end of $buildlog:"
  grep -vE '^(github\.com|golang\.org|google\.golang|go\.|gopkg|cloud\.google|k8s|honnef|gonum|[a-z0-9._-]+/)' "$buildlog" | tail -60 >&2
  exit $status
fi
mv "$OUT.tmp" "$OUT"
log "built $("$OUT" version 2>/dev/null | head -1) in $(( $(date +%s) - start ))s -> $OUT"
echo "$OUT"
