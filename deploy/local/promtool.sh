#!/usr/bin/env bash
# Makes sure Prometheus's promtool is on PATH for the alert rules' unit tests
# (deploy/tests/test_monitoring.py); if it is not, puts it in ~/.local/bin (on PATH under `make`
# and in Debian's default profile), taken from this release's Debian package that holds it:
# trixie and later ship it alone (`promtool`), bookworm only inside `prometheus`, the whole
# server. Installing that would add a Prometheus service to the machine, so the package
# is only downloaded (`apt-get download`, which any user may run) and its promtool unpacked.
# When apt's package lists do not have it, root refreshes them; anyone else is told to (the
# tests that need promtool then skip, saying why). Idempotent: nothing to do once it is there.
set -euo pipefail

target=$HOME/.local/bin/promtool
say() { printf 'promtool: %s\n' "$*" >&2; }

export PATH="$PATH:$HOME/.local/bin"
command -v promtool >/dev/null && exit 0

. /etc/os-release
case ${VERSION_CODENAME:-} in
  bookworm) package=prometheus ;;
  *) package=promtool ;;
esac

download_dir=$(mktemp -d)
trap 'rm -rf "$download_dir"' EXIT
download() { (cd "$download_dir" && apt-get download -qq "$package" >/dev/null 2>&1); }

if ! download; then
  if [ "$(id -u)" -ne 0 ]; then
    say "apt's package lists lack Debian's $package package: run 'sudo apt-get update'" \
      "(the alert rules' unit tests are skipped until then)"
    exit 0
  fi
  say "refreshing apt's package lists to find Debian's $package package"
  apt-get update -qq >/dev/null
  download || { say "could not download Debian's $package package"; exit 1; }
fi
say "taking promtool from Debian's $package package (downloaded, not installed)"
dpkg-deb --fsys-tarfile "$download_dir"/*.deb | tar -x -C "$download_dir" ./usr/bin/promtool
install -D -m 0755 "$download_dir/usr/bin/promtool" "$target"
