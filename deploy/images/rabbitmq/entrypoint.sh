#!/bin/sh
# Writes the Erlang cookie and the cluster's peer list from the environment, then runs the
# command (rabbitmq-server, which Debian's wrapper runs as the rabbitmq user).
set -eu
home=/var/lib/rabbitmq
if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
  printf '%s' "$RABBITMQ_ERLANG_COOKIE" > "$home/.erlang.cookie"
  chown rabbitmq:rabbitmq "$home/.erlang.cookie"
  chmod 600 "$home/.erlang.cookie"
fi
conf=/etc/rabbitmq/rabbitmq.conf
cp /etc/rabbitmq/copost-base.conf "$conf"
if [ -n "${RABBITMQ_CLUSTER_NODES:-}" ]; then
  {
    echo "cluster_formation.peer_discovery_backend = classic_config"
    i=1
    for node in $RABBITMQ_CLUSTER_NODES; do
      echo "cluster_formation.classic_config.nodes.$i = $node"
      i=$((i + 1))
    done
  } >> "$conf"
fi
chown -R rabbitmq:rabbitmq "$home"
unset RABBITMQ_ERLANG_COOKIE
exec "$@"
