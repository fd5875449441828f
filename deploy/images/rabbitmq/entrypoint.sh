#!/bin/sh
# Writes the Erlang cookie and the cluster's peer list from the environment, then runs the
# command; rabbitmq-server runs as the rabbitmq user, in place of this script, so that it gets
# docker's SIGTERM and stops cleanly (Debian's wrapper would `su` and not pass it on).
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
if [ "$1" = rabbitmq-server ] && [ "$(id -u)" = 0 ]; then
  shift
  export HOME="$home"
  cd "$home"
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
