#!/usr/bin/env bash
# Generates what the Debian package ships beside the binaries (man page,
# completions) into target/deb-assets, from the built binary's own CLI definition.
# Usage: packaging/debian/build-assets.sh [target/release]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${CARGO_TARGET_DIR:-target}/release}/bbb-migrate"
out="$(dirname "$bin")/deb-assets"
mkdir -p "$out"
"$bin" man | gzip -9n > "$out/bbb-migrate.1.gz"
"$bin" completions bash > "$out/bbb-migrate.bash"
"$bin" completions zsh > "$out/_bbb-migrate"
"$bin" completions fish > "$out/bbb-migrate.fish"
