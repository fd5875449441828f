#!/usr/bin/env bash
# Makes sure Prometheus's promtool is there for the alert rules' unit tests
# (deploy/tests/test_monitoring.py). Installs Debian's promtool package (the tool alone, no
# server) with apt-get when run as root; otherwise says what to install (those tests then
# skip, saying why).
set -euo pipefail

say() { printf 'promtool: %s\n' "$*" >&2; }

command -v promtool >/dev/null && exit 0
if [ "$(id -u)" -ne 0 ]; then
  say "not installed and not root: run 'sudo apt-get install -y promtool'" \
    "(the alert rules' unit tests are skipped until then)"
  exit 0
fi
say "installing Debian's promtool package for the alert rules' unit tests"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq promtool >/dev/null || { apt-get update -qq && apt-get install -y -qq promtool >/dev/null; }
