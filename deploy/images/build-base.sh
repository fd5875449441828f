#!/usr/bin/env bash
# Builds a Python 3.13 base image without any image registry, for machines that reach only
# Debian's and PyPI's package mirrors:
#   1. debootstrap a minimal Debian trixie root filesystem (its python3 is 3.13) with pip;
#   2. `docker import` that filesystem as an image (no registry pull involved);
#   3. build the services on it:  BASE_IMAGE=copost-base:trixie make images  (or make up).
# The service Dockerfiles then install uv with pip and the workspace with `uv sync --locked`,
# both from PyPI. Needs root, debootstrap (apt-get install -y debootstrap) and a Docker engine
# (apt-get install -y docker.io; dockerd &). The compose file's mongo:7 and rabbitmq images
# still need a registry: on a registry-less machine run the services against the host's
# RabbitMQ and MongoDB-compatible server instead (make run).
set -euo pipefail

image=${1:-copost-base:trixie}
suite=${SUITE:-trixie}
rootfs=$(mktemp -d /tmp/copost-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

command -v debootstrap >/dev/null || { echo "install debootstrap first" >&2; exit 1; }
command -v docker >/dev/null || { echo "install docker.io and start dockerd first" >&2; exit 1; }

debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
  "$suite" "$rootfs"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' - "$image"
echo "built $image; now: BASE_IMAGE=$image make images"
