#!/usr/bin/env bash
# Installs and starts what the container stage needs, idempotently, as root on Debian:
# the Docker engine (Debian's docker.io), Compose v2 (Debian trixie's docker-compose
# package, which installs on bookworm too) and debootstrap (for build-base.sh).
#   deploy/images/install-docker.sh        (.ci/run and `make test-containers` call it)
# Nothing is done that is already done; dockerd is started in the background if no engine
# answers, its log in /var/log/dockerd.log.
set -euo pipefail

log() { echo "install-docker: $*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "run as root (apt-get and dockerd need it)"; exit 1
fi
export DEBIAN_FRONTEND=noninteractive

source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker compose version >/dev/null 2>&1; then
  . /etc/os-release
  if [[ ${VERSION_CODENAME:-} != trixie ]] && ! apt-cache policy docker-compose 2>/dev/null | grep -q trixie; then
    # Trixie's packages at a low priority: only what is asked for by name comes from there.
    log "adding Debian trixie as a low-priority apt source for docker-compose (Compose v2)"
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
  apt-get update -qq
  if [[ ${VERSION_CODENAME:-} == trixie ]]; then
    apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    apt-get install -y -qq --no-install-recommends docker-compose/trixie >/dev/null
  fi
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
log "ready: $(docker --version); $(docker compose version)"
