#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the web client's browser tests.
# Installs it with apt-get when run as root; otherwise says what to install (the browser
# tests then skip, saying why). Playwright never downloads a browser of its own here.
set -euo pipefail

say() { printf 'chromium: %s\n' "$*" >&2; }

[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  say "not installed and not root: run 'sudo apt-get install -y chromium'" \
    "(the browser tests are skipped until then)"
  exit 0
fi
say "installing Debian's chromium package for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
