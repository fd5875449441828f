# copost/mongo-standin: NOT MongoDB. A stand-in for machines that reach no image registry (and
# so cannot pull mongo:7): the embedded wire-protocol server that local runs and tests use
# (shared.embedded_mongo), on port 27017, persisting under /data/db. The services talk to it
# through the real driver, unchanged. For development and tests only; docker-compose.offline.yml
# selects it, docker-compose.yml alone runs the official mongo image.
#   docker build -f deploy/images/mongo-standin.Dockerfile -t copost/mongo-standin .   (make images)
ARG BASE_IMAGE=copost-base:trixie
FROM ${BASE_IMAGE}
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NATIVE_TLS=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
COPY deploy/images/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null && python3 -m venv /opt/uv && /opt/uv/bin/pip install -q uv
ENV PATH=/opt/uv/bin:$PATH
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared ./shared
COPY services ./services
# copost-testing, the member whose shared.embedded_mongo this runs. The image serves mongoeco
# (EMBEDDED_MONGO below): SecantusDB, the dev default, is GPL-2.0 and is not installed into an
# image.
RUN uv sync --locked --no-dev --no-editable --package copost-testing --no-install-package secantusdb \
    -p python3 \
    && rm -rf /root/.cache/uv /opt/uv && install -d -o 10001 -g 10001 /data/db
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 EMBEDDED_MONGO=mongoeco
USER 10001:10001
VOLUME /data/db
EXPOSE 27017
# Healthy once the server accepts connections (it listens only when its engine is ready). A
# driver ping would import pymongo at every check: too dear on a busy 2-core machine.
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=10 CMD ["python3", "-c", \
  "import socket; socket.create_connection(('127.0.0.1', 27017), 3).close()"]
CMD ["python3", "-m", "shared.embedded_mongo", "--host", "0.0.0.0", "--port", "27017", "--path", "/data/db/mongo.sqlite3"]
