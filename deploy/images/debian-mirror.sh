#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses (deb822 sources, else
# sources.list), so the image scripts fetch from wherever this machine is set up to.
# Sourced by install-docker.sh and build-base.sh; MIRROR overrides it.
debian_mirror() {
  local uri=${MIRROR:-}
  [[ -n $uri || ! -r /etc/apt/sources.list.d/debian.sources ]] ||
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  [[ -n $uri || ! -r /etc/apt/sources.list ]] ||
    uri=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  echo "$uri"
}
