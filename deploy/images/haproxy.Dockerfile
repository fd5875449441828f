# The load balancer in front of the gateways (docker-compose.replicas.yml): HAProxy from
# Debian's haproxy package, built like the other images without any image registry, on
# BASE_IMAGE (copost-base:trixie offline, python:3.13-slim otherwise: either is Debian).
#   docker build -f deploy/images/haproxy.Dockerfile -t copost/haproxy .   (make images)
# Its configuration: deploy/images/haproxy/haproxy.cfg (baked in). HAProxy is
# GPL-2.0+, shipped unmodified from Debian with its copyright file, and run as a program of
# its own (deploy/inventory.py allows it for this image alone); its SBOM is /sbom.cdx.json.
ARG BASE_IMAGE=copost-base:trixie
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /usr/share/man/* \
    && find /usr/share/doc -type f ! -name copyright -delete \
    && find /usr/share/doc -depth -type d -empty -delete
# Debian's packages joined to an SBOM that has nothing else (no Python package ships here).
COPY deploy/images/sbom.py /tmp/sbom.py
RUN printf '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": []}' \
      > /tmp/empty.cdx.json \
    && python3 /tmp/sbom.py /tmp/empty.cdx.json /sbom.cdx.json && rm /tmp/sbom.py /tmp/empty.cdx.json
COPY deploy/images/haproxy/haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8000 8404
# Healthy while at least one gateway is up, as HAProxy's own checks see them (monitor-uri).
HEALTHCHECK --interval=2s --timeout=3s --start-period=10s --retries=30 CMD ["python3", "-c", \
  "import urllib.request as r; r.urlopen('http://127.0.0.1:8404/healthz', timeout=2)"]
# Master-worker (-W), in the foreground (-db), logs to stdout.
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
