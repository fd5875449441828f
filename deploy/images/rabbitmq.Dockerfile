# RabbitMQ from Debian's rabbitmq-server package (a real broker, with the management plugin),
# for machines that reach no image registry; docker-compose.offline.yml selects it.
#   docker build -f deploy/images/rabbitmq.Dockerfile -t copost/rabbitmq .   (make images)
# Clustering: give every node the same RABBITMQ_ERLANG_COOKIE and the list of the cluster's
# nodes in RABBITMQ_CLUSTER_NODES ("rabbit@rabbitmq-1 rabbit@rabbitmq-2 ..."), each container's
# hostname being its node's host part; the nodes then find each other at start.
ARG BASE_IMAGE=copost-base:trixie
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
COPY deploy/images/rabbitmq/rabbitmq.conf /etc/rabbitmq/copost-base.conf
COPY deploy/images/rabbitmq/entrypoint.sh /usr/local/bin/copost-rabbitmq
EXPOSE 5672 15672
# Healthy once the broker answers an AMQP 0-9-1 protocol header with a method frame. Cheaper
# than `rabbitmq-diagnostics ping`, which boots an Erlang VM at every check.
HEALTHCHECK --interval=5s --timeout=5s --start-period=120s --retries=10 CMD ["python3", "-c", \
  "import socket; s = socket.create_connection(('127.0.0.1', 5672), 3); s.sendall(b'AMQP\\0\\0\\x09\\x01'); assert s.recv(1) == b'\\x01'"]
ENTRYPOINT ["copost-rabbitmq"]
CMD ["rabbitmq-server"]
