#!/bin/sh
# Starts one Sentinel of copost-redis-sentinel, watching the primary the other Sentinels name
# (copost-redis-0 at the very first start). 2 of the 3 must agree the primary is down to fail
# over to a replica; clients ask them where the primary is (REDIS_URL, redis+sentinel://).
set -eu
self="$(hostname).copost-redis-sentinel"
primary=""
for sentinel in 0 1 2; do
  [ "copost-redis-sentinel-$sentinel" = "$(hostname)" ] && continue
  primary=$(timeout 3 valkey-cli -h "copost-redis-sentinel-$sentinel.copost-redis-sentinel" -p 26379 \
    --raw SENTINEL get-master-addr-by-name copost 2>/dev/null | head -n 1) || primary=""
  [ -n "$primary" ] && break
done
[ -n "$primary" ] || primary="copost-redis-0.copost-redis"
# Sentinel resolves the primary's name once, at start: wait (2 minutes at most, then the
# kubelet restarts this container) until it answers.
attempts=60
until timeout 3 valkey-cli -h "$primary" -p 6379 PING 2>&1 | grep -q -e PONG -e NOAUTH; do
  attempts=$((attempts - 1))
  [ "$attempts" -gt 0 ] || { echo "the primary $primary does not answer" >&2; exit 1; }
  sleep 2
done
# Sentinel rewrites its configuration as it learns (peers, replicas, failovers): a file of its
# own, in a writable volume.
cat > /run/copost-redis/sentinel.conf <<CONF
port 26379
dir /run/copost-redis
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
sentinel monitor copost $primary 6379 2
sentinel auth-pass copost $REDIS_PASSWORD
sentinel down-after-milliseconds copost 5000
sentinel failover-timeout copost 30000
sentinel parallel-syncs copost 1
CONF
exec valkey-server /run/copost-redis/sentinel.conf --sentinel
