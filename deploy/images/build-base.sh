#!/usr/bin/env bash
# Builds a Python 3.13 base image without any image registry, for machines that reach only
# Debian's and PyPI's package mirrors:
#   1. debootstrap a minimal Debian trixie root filesystem (its python3 is 3.13, with venv);
#   2. `docker import` that filesystem as an image (no registry pull involved).
# `make images` and `make up` call it when no registry is reachable (or OFFLINE=1); every
# image of deploy/images/ can then build FROM it. It does nothing when the image exists,
# made by this same script for the same suite and packages (FORCE=1 rebuilds). Needs root,
# debootstrap and a Docker engine: see deploy/images/install-docker.sh.
#   SUITE=bookworm PACKAGES=python3,make deploy/images/build-base.sh IMAGE
# makes another release, with other packages (the fresh machines of
# tests-e2e/test_fresh_machine_e2e.py).
set -euo pipefail

image=${1:-copost-base:trixie}
suite=${SUITE:-trixie}
packages=${PACKAGES:-python3,python3-venv,ca-certificates}

# The image is labelled with the hash of this script, the suite and the packages: an image
# made otherwise
# (by another version of the script) is rebuilt.
script_hash=$({ cat "${BASH_SOURCE[0]}"; echo "$suite $packages"; } | sha256sum | cut -c1-16)
built_by=$(docker image inspect --format '{{index .Config.Labels "org.copost.build-base"}}' \
  "$image" 2>/dev/null || true)
if [[ ${FORCE:-0} != 1 ]] && [[ $built_by == "$script_hash" ]]; then
  echo "build-base: $image exists (FORCE=1 rebuilds it)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "install debootstrap first" >&2; exit 1; }
command -v docker >/dev/null || { echo "install docker.io and start dockerd first" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"
mirror=$(debian_mirror)
[[ -n $mirror ]] || { echo "no Debian apt source found (set MIRROR)" >&2; exit 1; }

rootfs=$(mktemp -d /tmp/copost-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
# Of the documentation, each package's copyright file stays: it is the license the package is
# shipped under (GPL and others want their text to go along), and the images' SBOMs read it.
find "$rootfs"/usr/share/doc -type f ! -name copyright -delete
find "$rootfs"/usr/share/doc -depth -type d -empty -delete
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' --change "LABEL org.copost.build-base=$script_hash" - "$image"
echo "build-base: built $image"
