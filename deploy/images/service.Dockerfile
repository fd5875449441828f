# The image of any CoPost service, built from the repository root (the uv workspace):
#   docker build -f deploy/images/service.Dockerfile --build-arg SERVICE=timeline -t copost/timeline .
# `make images` builds every service this way. BASE_IMAGE: any image with Python 3.13 and its
# venv module (python:3.13-slim, or copost-base:trixie from deploy/images/build-base.sh where
# no registry is reachable). The build trusts the CA certificates staged in
# deploy/images/ca-certificates (make images copies the machine's there). No syntax directive:
# it would make BuildKit pull a frontend image.
ARG BASE_IMAGE=python:3.13-slim

FROM ${BASE_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NATIVE_TLS=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
COPY deploy/images/ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null && python3 -m venv /opt/uv && /opt/uv/bin/pip install -q uv
# binutils strips the compiled extensions below. Installed before the sources are copied, this
# layer is built once and cached for every service and commit (after them, every image of
# every changed commit ran its own apt-get update and install).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils >/dev/null
ENV PATH=/opt/uv/bin:$PATH
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared ./shared
COPY services ./services
# Every service's locked dependencies into uv's cache once: this layer is shared by all images.
# The services only, not --all-packages: copost-testing (shared.testing, the embedded MongoDB
# servers, pytest) is for development and never enters an image, nor uv's cache here.
RUN uv sync --locked --no-dev --no-install-workspace \
      $(for service in services/*/; do echo --package "$(basename "$service")"; done) \
    && rm -rf .venv
# The SBOM generator (the locked dependency group `sbom`) in a venv of its own, which no image
# receives.
RUN UV_PROJECT_ENVIRONMENT=/opt/sbom uv sync --locked --only-group sbom -p python3
ARG SERVICE
# Exactly the locked versions, this service and its runtime dependencies only (copost-kernel,
# copost-contracts and the service's own), as regular installs. deploy/tests/test_images.py
# checks that this installs nothing of the development tools.
RUN test -n "$SERVICE" && uv sync --locked --no-dev --no-editable --package "$SERVICE" -p python3
# The debug sections of compiled extensions serve nothing at run time (uvloop's alone are 14 of
# its 16 MB): stripping them keeps every image well under 200 MB.
RUN find .venv -name '*.so' -exec strip --strip-debug {} +
# The SBOM of the image's Python packages, from their installed metadata; the `sbom` stage
# below adds its Debian packages.
RUN /opt/sbom/bin/cyclonedx-py environment --pyproject "services/$SERVICE/pyproject.toml" \
      --no-validate --output-file /tmp/python.cdx.json .venv
# The Debian programs a service runs as separate processes, named by its own
# services/<service>/debian-packages (one a line; none for most services).
RUN { cat "services/$SERVICE/debian-packages" 2>/dev/null || true; } > /tmp/debian-packages

FROM ${BASE_IMAGE} AS runtime
ARG SERVICE
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 COPOST_SERVICE=${SERVICE}
RUN install -d -o 10001 -g 10001 /data
# Installed without recommends; of their documentation only each package's copyright file
# stays (the license it is shipped under; the SBOM reads it), as on the offline base.
COPY --from=build /tmp/debian-packages /tmp/debian-packages
RUN if [ -s /tmp/debian-packages ]; then \
      apt-get update -qq \
      && xargs -a /tmp/debian-packages apt-get install -y -qq --no-install-recommends >/dev/null \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /usr/share/man/* \
      && find /usr/share/doc -type f ! -name copyright -delete \
      && find /usr/share/doc -depth -type d -empty -delete; \
    fi; rm /tmp/debian-packages
COPY --from=build /app/.venv /app/.venv
COPY LICENSE /app/LICENSE
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["python3", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["sh", "-c", "exec uvicorn \"$COPOST_SERVICE.app:create_app\" --factory --no-access-log --no-proxy-headers --host 0.0.0.0 --port 8000"]

# The Debian packages of exactly the runtime stage's filesystem join the SBOM, which the image
# keeps at /app/sbom.cdx.json (`make images` copies it to deploy/images/sbom/).
FROM runtime AS sbom
USER root
COPY --from=build /tmp/python.cdx.json /tmp/python.cdx.json
COPY deploy/images/sbom.py /tmp/sbom.py
RUN python3 /tmp/sbom.py /tmp/python.cdx.json /app/sbom.cdx.json

FROM runtime
COPY --from=sbom /app/sbom.cdx.json /app/sbom.cdx.json
