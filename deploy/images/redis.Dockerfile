# Redis for machines that reach no image registry: Debian's valkey-server (Valkey, the BSD-licensed
# fork of Redis, same protocol), or redis-server on a release without it; docker-compose.offline.yml
# selects it.   docker build -f deploy/images/redis.Dockerfile -t copost/redis .   (make images)
ARG BASE_IMAGE=copost-base:trixie
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valkey-server >/dev/null \
         || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && ln -s "$(command -v valkey-server || command -v redis-server)" /usr/local/bin/copost-redis-server
EXPOSE 6379
# Healthy once it answers PING (no client tools needed).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=10 CMD ["python3", "-c", \
  "import socket; s = socket.create_connection(('127.0.0.1', 6379), 2); s.sendall(b'PING\\r\\n'); assert s.recv(7) == b'+PONG\\r\\n'"]
# A cache: no persistence; not protected-mode, so the other containers may connect.
CMD ["copost-redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
