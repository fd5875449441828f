#!/bin/sh
# Starts one node of the copost-redis StatefulSet: a replica of the primary the Sentinels name,
# or the primary itself when they name it. With no Sentinel answering (the very first start),
# copost-redis-0 is the primary and the others its replicas.
set -eu
self="$(hostname).copost-redis"
primary=""
for sentinel in 0 1 2; do
  primary=$(timeout 3 valkey-cli -h "copost-redis-sentinel-$sentinel.copost-redis-sentinel" -p 26379 \
    --raw SENTINEL get-master-addr-by-name copost 2>/dev/null | head -n 1) || primary=""
  [ -n "$primary" ] && break
done
[ -n "$primary" ] || primary="copost-redis-0.copost-redis"
# Announced by name, not by pod IP: a pod keeps its name across restarts, not its address.
{
  echo "include /etc/copost-redis/redis.conf"
  echo "replica-announce-ip $self"
  echo "requirepass $REDIS_PASSWORD"
  echo "masterauth $REDIS_PASSWORD"
  [ "$primary" = "$self" ] || echo "replicaof $primary 6379"
} > /run/copost-redis/redis.conf
exec valkey-server /run/copost-redis/redis.conf
