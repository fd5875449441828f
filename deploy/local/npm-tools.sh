#!/usr/bin/env bash
# Installs the JavaScript tools the tests use (package.json, exactly as package-lock.json says:
# axe-core, which checks the web client's accessibility in the browser tests, and Fedify, on
# which the federation tests build an ActivityPub peer of someone else's making) into
# node_modules/; none of them runs an install script. Called by `make test` and `make e2e`
# (`make run` needs none of it); silent when they are already in place. npm comes from
# Debian's package when run as root; a plain user without it is told what to install (the
# tests that need the tools then skip, saying why).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"
say() { printf 'npm: %s\n' "$*" >&2; }

# The lock last installed is kept beside the tools: the same lock, nothing to do.
installed=node_modules/.installed-package-lock.json
if cmp -s "$installed" package-lock.json; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    say "not installed and not root: run 'sudo apt-get install -y npm'" \
      "(the browser tests' accessibility checks and the Fedify peer are skipped until then)"
    exit 0
  fi
  say "installing Debian's npm package for the test tools (axe-core, Fedify)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; }
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
cp package-lock.json "$installed"
