#!/usr/bin/env bash
# Installs and starts what the container stage needs, idempotently, as root on Debian 12 or 13:
# the Docker engine (Debian's docker.io), Compose v2 (docker-compose), BuildKit
# (docker-buildx) and debootstrap (for build-base.sh).
#   deploy/images/install-docker.sh        (.ci/run and `make test-containers` call it)
# Nothing is done that is already done; dockerd is started in the background if no engine
# answers, its log in /var/log/dockerd.log.
set -euo pipefail

log() { echo "install-docker: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "run as root (apt-get and dockerd need it)"; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run to finish rather than fail.
apt-get() { command apt-get -o DPkg::Lock::Timeout=600 "$@"; }

source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Compose v2 and BuildKit (docker-buildx) are Debian packages from trixie on. Bookworm has
# neither, but trixie's install there: trixie becomes an apt source pinned low, so only what
# is asked for by name comes from it. Without buildx, images build with the legacy builder.
plugins=()
docker compose version >/dev/null 2>&1 || plugins+=(docker-compose)
docker buildx version >/dev/null 2>&1 || plugins+=(docker-buildx)
if [[ ${#plugins[@]} -gt 0 ]]; then
  . /etc/os-release
  release=
  if [[ ${VERSION_CODENAME:-} == bookworm ]]; then
    release=/trixie
    if [[ ! -f /etc/apt/sources.list.d/copost-trixie.sources ]]; then
      log "adding Debian trixie as a low-priority apt source for ${plugins[*]}"
      mirror=$(debian_mirror)
      [[ -n $mirror ]] || { log "no Debian apt source found to take trixie's packages from"; exit 1; }
      cat >/etc/apt/sources.list.d/copost-trixie.sources <<SOURCES
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
      cat >/etc/apt/preferences.d/copost-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    fi
  fi
  apt-get update -qq
  for plugin in "${plugins[@]}"; do
    if [[ $plugin == docker-buildx ]] && apt-cache policy docker-buildx | grep -q 'Candidate: (none)'; then
      log "no docker-buildx package here: images build with Docker's legacy builder"
      continue
    fi
    log "installing $plugin$release"
    apt-get install -y -qq --no-install-recommends "$plugin$release" >/dev/null
  done
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/dockerd.log)"
  pgrep -x containerd >/dev/null || (containerd >/var/log/containerd.log 2>&1 &)
  (dockerd --containerd=/run/containerd/containerd.sock >/var/log/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer; see /var/log/dockerd.log"; exit 1; }
fi
log "ready: $(docker --version); $(docker compose version); $(docker buildx version 2>/dev/null || echo "no buildx")"
