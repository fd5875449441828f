#!/usr/bin/env bash
# Makes sure RabbitMQ answers at AMQP_URL: uses a running broker, else starts (or, as root,
# installs and starts) Debian's rabbitmq-server on this machine. Called by `make run` / `make test`.
set -euo pipefail

amqp_url=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}
wait_seconds=${RABBITMQ_WAIT_SECONDS:-90}

say() { printf 'rabbitmq: %s\n' "$*" >&2; }

# amqp://user:pass@host:port/vhost -> host and port
authority=${amqp_url#*://}
authority=${authority%%/*}
authority=${authority##*@}
host=${authority%%:*}
port=5672
[ "$authority" != "$host" ] && port=${authority##*:}
[ -n "$host" ] || host=127.0.0.1

# Answers: opens the AMQP 0-9-1 handshake and gets the broker's first frame back. A TCP accept
# alone is not enough: a broker out of file handles still accepts and then never speaks.
answers() {
  timeout 5 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'AMQP\\0\\0\\11\\1' >&3 && head -c 1 <&3 | od -An -tx1 | grep -q 01" 2>/dev/null
}
listening() { timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; }

wait_until_answers() {
  local deadline=$((SECONDS + wait_seconds))
  until answers; do
    if ((SECONDS >= deadline)); then
      say "RabbitMQ did not answer on $host:$port within ${wait_seconds}s"
      say "see /var/log/rabbitmq/ for the broker's logs"
      exit 1
    fi
    sleep 1
  done
}

# A broker in a resource alarm (disk or memory) blocks every publisher without a word: say so
# rather than let the services and tests wait on it. Only where we can ask it (root, local).
not_alarmed() {
  [ "$(id -u)" -eq 0 ] && PATH="$PATH:/usr/sbin" command -v rabbitmq-diagnostics >/dev/null || return 0
  local report
  report=$(PATH="$PATH:/usr/sbin" timeout 60 rabbitmq-diagnostics -q check_alarms 2>&1) && return 0
  say "RabbitMQ on $host:$port is not healthy; it reports:"
  printf '%s\n' "$report" >&2
  say "free disk space or memory on the broker's host (see /var/log/rabbitmq/), then try again"
  exit 1
}

if answers; then
  case "$host" in 127.0.0.1 | localhost | ::1) not_alarmed ;; esac
  exit 0
fi

case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *) say "AMQP_URL points at $host:$port, which does not answer; start that broker first"; exit 1 ;;
esac

# Debian puts the server in /usr/sbin, which is not on every user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    say "RabbitMQ is not running on $host:$port and not installed. Install and start it:"
    say "  sudo apt-get update && sudo apt-get install -y rabbitmq-server"
    say "  sudo rabbitmq-server -detached   (or: sudo systemctl start rabbitmq-server)"
    say "or point AMQP_URL at a running broker."
    exit 1
  fi
  say "installing Debian's rabbitmq-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq rabbitmq-server >/dev/null
fi

if listening; then
  # Listening but silent: a stuck node (in this workplace, one that ran out of sockets) that
  # no client can use until it is restarted.
  if [ "$(id -u)" -ne 0 ]; then
    say "RabbitMQ on $host:$port accepts connections but does not answer; restart it:"
    say "  sudo rabbitmqctl stop; sudo rabbitmq-server -detached"
    exit 1
  fi
  say "RabbitMQ on $host:$port accepts connections but does not answer; restarting it"
  timeout 30 rabbitmqctl stop >/dev/null 2>&1 || true
  pkill -KILL -u rabbitmq -x beam.smp 2>/dev/null || true
  pkill -KILL -u rabbitmq -x epmd 2>/dev/null || true
  deadline=$((SECONDS + 30))
  while listening; do
    ((SECONDS < deadline)) || { say "something else holds $host:$port; stop it first"; exit 1; }
    sleep 1
  done
fi

if ! answers; then
  say "starting rabbitmq-server on $host:$port"
  if [ "$(id -u)" -eq 0 ] && id rabbitmq >/dev/null 2>&1; then
    # su applies the login's soft limit of 1024 open files, which caps the broker at about
    # 830 sockets; a test run with several stacks needs more. Give it the hard limit.
    (cd /var/lib/rabbitmq && su rabbitmq -s /bin/sh \
      -c 'ulimit -n "$(ulimit -Hn)"; exec rabbitmq-server -detached' >/dev/null 2>&1) || true
  elif [ "$(id -u)" -eq 0 ] || [ -w /var/lib/rabbitmq ]; then
    rabbitmq-server -detached >/dev/null 2>&1 || true
  else
    sudo -n rabbitmq-server -detached >/dev/null 2>&1 || {
      say "could not start rabbitmq-server as $(id -un): run 'sudo rabbitmq-server -detached'"
      exit 1
    }
  fi
  wait_until_answers
  say "RabbitMQ is up on $host:$port"
fi
