#!/usr/bin/env bash
# Makes sure a tool some tests need is installed from its Debian package:
#   deploy/local/debian-tool.sh PATH PACKAGE PURPOSE
# Installs PACKAGE with apt-get when run as root; otherwise says what to install (the tests
# that need it then skip, saying why).
set -euo pipefail

tool=$1 package=$2 purpose=$3
say() { printf '%s: %s\n' "$package" "$*" >&2; }

[ -x "$tool" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  say "not installed and not root: run 'sudo apt-get install -y $package'" \
    "($purpose are skipped until then)"
  exit 0
fi
say "installing Debian's $package package for $purpose"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "$package" >/dev/null ||
  { apt-get update -qq && apt-get install -y -qq "$package" >/dev/null; }
