#!/usr/bin/env bash
# Makes sure Redis answers at REDIS_URL: uses a running server, else starts (or, as root, first
# installs) Debian's redis-server, or valkey-server where the release has no redis-server.
# Called by `make run` / `make test` / `make bench`. An empty REDIS_URL means no Redis (the
# timeline then reads MongoDB only): nothing to do.
set -euo pipefail

redis_url=${REDIS_URL-redis://127.0.0.1:6379/0}
wait_seconds=${REDIS_WAIT_SECONDS:-30}
data_dir=${DATA_DIR:-.data}

say() { printf 'redis: %s\n' "$*" >&2; }

[ -n "$redis_url" ] || exit 0

# redis://[user:pass@]host:port/db -> host and port
authority=${redis_url#*://}
authority=${authority%%/*}
authority=${authority##*@}
host=${authority%%:*}
port=6379
[ "$authority" != "$host" ] && port=${authority##*:}
[ -n "$host" ] || host=127.0.0.1

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; }

answers && exit 0

case "$host" in
  127.0.0.1 | localhost | ::1) ;;
  *) say "REDIS_URL points at $host:$port, which does not answer; start that server first"; exit 1 ;;
esac

export PATH="$PATH:/usr/sbin:/sbin"
server=$(command -v redis-server || command -v valkey-server || true)
if [ -z "$server" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "Redis is not running on $host:$port and not installed. Install it:"
    say "  sudo apt-get update && sudo apt-get install -y redis-server   (Debian 13: or valkey-server)"
    say "then run make again (it starts the server), or point REDIS_URL at a running one."
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Debian 12 and 13 package redis-server; 13 also packages Valkey, its open-source fork.
  for package in redis-server valkey-server; do
    if apt-cache show "$package" >/dev/null 2>&1; then
      say "installing Debian's $package"
      apt-get install -y -qq "$package" >/dev/null
      break
    fi
  done
  server=$(command -v redis-server || command -v valkey-server || true)
  [ -n "$server" ] || { say "neither redis-server nor valkey-server could be installed"; exit 1; }
fi

# Any user may run it: a cache, so no persistence; its log beside the stack's.
mkdir -p "$data_dir/logs"
log="$(cd "$data_dir/logs" && pwd)/redis.log"
say "starting $(basename "$server") on $host:$port (log: $log)"
"$server" --bind "$host" --port "$port" --daemonize yes --save '' --appendonly no \
  --logfile "$log" --dir "$(cd "$data_dir" && pwd)" >/dev/null
deadline=$((SECONDS + wait_seconds))
until answers; do
  if ((SECONDS >= deadline)); then
    say "Redis did not answer on $host:$port within ${wait_seconds}s; see $log"
    exit 1
  fi
  sleep 0.2
done
say "Redis is up on $host:$port"
