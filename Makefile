# CoPost: two commands to know — `make run` and `make test`. `make help` lists the rest.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV_BIN := .venv/bin
PYTHON := $(VENV_BIN)/python
PYTEST := $(VENV_BIN)/pytest
RUFF := $(VENV_BIN)/ruff
# The services (each is a workspace member services/<name>/pyproject.toml; the list is declared
# in shared.services, and deploy/tests/test_service_list.py checks that the two agree).
SERVICES := $(patsubst services/%/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
# Every workspace member's import root: the three parts of `shared` and the services. `shared`
# is one namespace package over three members, so mypy takes these as its package bases.
SOURCE_ROOTS := $(wildcard shared/*/src) $(SERVICES:%=services/%/src)
TAG ?= dev
STANDINS ?= 0
# OFFLINE=1: no image registry is reachable (found out once, when first needed): the images
# build on a Debian base made by debootstrap, and docker-compose.offline.yml replaces the
# official mongo and rabbitmq images by locally built ones. OFFLINE=0 forces the registry.
OFFLINE ?= $(eval OFFLINE := $(shell curl -s --max-time 5 -o /dev/null https://registry-1.docker.io/v2/ && echo 0 || echo 1))$(OFFLINE)
OFFLINE_BASE_IMAGE ?= copost-base:trixie
BASE_IMAGE ?= $(if $(filter 1,$(OFFLINE)),$(OFFLINE_BASE_IMAGE),python:3.13-slim)
# Images build with BuildKit (docker-buildx, --load into the engine's images), else with the
# legacy builder. Never a registry: the Dockerfiles have no `# syntax` line (a frontend image).
DOCKER_BUILD = $(if $(shell docker buildx version 2>/dev/null),docker buildx build --load,DOCKER_BUILDKIT=0 docker build) --quiet
# REPLICAS=N (N > 1): `make up` runs N replicas of every backend service and two gateways
# behind HAProxy (docker-compose.replicas.yml), as the prod overlay does in Kubernetes.
REPLICAS ?= 1
COMPOSE_FILES = -f docker-compose.yml $(if $(filter 1,$(OFFLINE)),-f docker-compose.offline.yml)
COMPOSE = docker compose $(COMPOSE_FILES) $(if $(filter-out 1,$(REPLICAS)),-f docker-compose.replicas.yml)
# OBSERVABILITY=1: `make up` also starts the collector, Jaeger, Prometheus and Grafana (compose
# profile "observability", images from a registry) and the services send it their traces.
OBSERVABILITY ?= 0
PYTEST_ARGS ?=
# The CI stages' pytest runs end on their 30 slowest set-ups, calls and teardowns (a session
# stack's start is its first test's set-up): where the time goes, in every CI log.
SLOWEST := --durations=30
# Where bootstrap.sh may have put uv.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: help install rabbitmq redis chromium ffmpeg promtool npm-tools run test lint format unit e2e bench soak up down images test-containers k8s-check

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install uv, Python 3.13 and the workspace into .venv (idempotent)
	@deploy/local/bootstrap.sh

rabbitmq: ## make sure RabbitMQ answers at AMQP_URL (start or install it locally if needed)
	@deploy/local/rabbitmq.sh

redis: ## make sure Redis answers at REDIS_URL (start or install it locally if needed)
	@deploy/local/redis.sh

chromium: ## make sure Debian's Chromium is there for the browser tests (installs it as root)
	@deploy/local/chromium.sh

ffmpeg: ## make sure Debian's ffmpeg is there for videos and their tests (installs it as root)
	@deploy/local/ffmpeg.sh

npm-tools: ## the tests' JavaScript tools (axe-core, Fedify) from npm, as package-lock.json says
	@deploy/local/npm-tools.sh

promtool: ## make sure promtool is there for the alert rules' tests (from Debian's package of this release)
	@deploy/local/promtool.sh

run: install rabbitmq redis ffmpeg ## run every service locally: the gateway on http://127.0.0.1:8000 (PORT)
	@$(PYTHON) deploy/local/run.py

test: install rabbitmq redis chromium ffmpeg promtool npm-tools lint ## lint, then every test: unit, integration and end-to-end
	@$(PYTEST) $(SLOWEST) $(PYTEST_ARGS)

lint: install ## ruff check, ruff format --check, and mypy --strict over the packages
	@$(RUFF) check .
	@$(RUFF) format --check .
	@MYPYPATH=$(subst $() ,:,$(SOURCE_ROOTS)) $(VENV_BIN)/mypy --strict --explicit-package-bases \
	  $(SOURCE_ROOTS)

format: install ## apply ruff's fixes and formatting
	@$(RUFF) check --fix .
	@$(RUFF) format .

unit: install rabbitmq redis ## the service and shared tests, without the end-to-end suite
	@$(PYTEST) -m "not e2e" $(PYTEST_ARGS)

e2e: install rabbitmq redis chromium ffmpeg npm-tools ## the end-to-end suite: the whole stack on free ports, through the gateway
	@$(PYTEST) tests-e2e $(PYTEST_ARGS)

bench: install rabbitmq redis ## reads (wrk), fan-out, the event pipeline, a social graph and a mixed workload beside their floors; writes bench/results/
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	@for script in read_bench pipeline_bench timeline_bench engagement_bench social_bench media_bench; do \
	  echo "== bench/$$script.py"; $(PYTHON) bench/$$script.py; done

# The soak's length in seconds (30 minutes by default), its arrivals a second, its report.
# DOCKER=1: the replicated stack in containers (two of each service, two gateways behind
# HAProxy) with container faults (broker, database, cache, network); report soak-containers.md.
DURATION ?= 1800
# The replicated stack (twenty containers, one embedded MongoDB) carries about 2 arrivals a
# second on a 2-core machine; at 15 it is saturated from the start (bench/results/2026-12-07/).
RATE ?= $(if $(filter 1,$(DOCKER)),2,15)
DOCKER ?= 0
soak: install $(if $(filter 1,$(DOCKER)),soak-images,rabbitmq redis) ## a constant-rate social workload with faults (DURATION=1800 s; DOCKER=1: replicated, in containers), checked against its ledger; writes bench/results/
	OFFLINE=$(OFFLINE) TAG=$(TAG) $(PYTHON) bench/soak.py --duration $(DURATION) --rate $(RATE) \
	  $(if $(filter 1,$(DOCKER)),--stack docker --output bench/results/soak-containers.md,--output bench/results/soak.md)

.PHONY: soak-images
soak-images:
	@deploy/images/install-docker.sh
	@$(MAKE) --no-print-directory images OFFLINE=$(OFFLINE) STANDINS=1

up: install images ## docker compose: MongoDB, RabbitMQ and every service, healthy (gateway on 127.0.0.1:8000; REPLICAS=2: behind HAProxy)
	@$(VENV_BIN)/python -m shared.identity --env-dir deploy/compose/keys $(SERVICES)
	TAG=$(TAG) BASE_IMAGE=$(BASE_IMAGE) REPLICAS=$(REPLICAS) $(if $(filter 1,$(OBSERVABILITY)),OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318) \
	  $(COMPOSE) $(if $(filter 1,$(OBSERVABILITY)),--profile observability) up --detach --wait

down: ## docker compose: stop and remove the containers (volumes are kept)
	TAG=$(TAG) docker compose $(COMPOSE_FILES) -f docker-compose.replicas.yml --profile observability down

images: ## build copost/<service>:TAG for every service, its SBOM in deploy/images/sbom/ (OFFLINE=1 or STANDINS=1: the base and stand-ins too)
	@mkdir -p deploy/images/ca-certificates
	@if [ -d /usr/local/share/ca-certificates ]; then \
	  cp -r /usr/local/share/ca-certificates/. deploy/images/ca-certificates/; fi
	@if ! docker buildx version >/dev/null 2>&1; then \
	  echo "images: no docker-buildx here: building with Docker's legacy builder"; fi
	@if [ "$(OFFLINE)" = 1 ] || [ "$(STANDINS)" = 1 ]; then \
	  deploy/images/build-base.sh $(OFFLINE_BASE_IMAGE); \
	  for image in rabbitmq redis mongo-standin; do \
	    echo "== copost/$$image:$(TAG) (offline stand-in)"; \
	    $(DOCKER_BUILD) --file deploy/images/$$image.Dockerfile \
	      --build-arg BASE_IMAGE=$(OFFLINE_BASE_IMAGE) --tag copost/$$image:$(TAG) . ; \
	  done; \
	fi
	@mkdir -p deploy/images/sbom
	@echo "== copost/haproxy:$(TAG) (the load balancer of REPLICAS > 1)"
	@$(DOCKER_BUILD) --file deploy/images/haproxy.Dockerfile --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	  --tag copost/haproxy:$(TAG) .
	@docker run --rm --network none copost/haproxy:$(TAG) cat /sbom.cdx.json \
	  > deploy/images/sbom/haproxy.cdx.json
	@for service in $(SERVICES); do \
	  echo "== copost/$$service:$(TAG)"; \
	  $(DOCKER_BUILD) --file deploy/images/service.Dockerfile --build-arg SERVICE=$$service \
	    --build-arg BASE_IMAGE=$(BASE_IMAGE) --tag copost/$$service:$(TAG) . ; \
	  docker run --rm --network none copost/$$service:$(TAG) cat /app/sbom.cdx.json \
	    > deploy/images/sbom/$$service.cdx.json; \
	done

test-containers: install ## in containers: the e2e suite, the RabbitMQ cluster and crash tests (installs Docker)
	@deploy/images/install-docker.sh
	@# The cluster test runs the Debian-based RabbitMQ image, online or not.
	@started=$$SECONDS; $(MAKE) --no-print-directory images OFFLINE=$(OFFLINE) STANDINS=1; \
	  echo "test-containers: the images took $$((SECONDS - started)) s"
	E2E_DOCKER=1 OFFLINE=$(OFFLINE) TAG=$(TAG) $(PYTEST) tests-e2e $(SLOWEST) $(PYTEST_ARGS)

k8s-check: install ## render every Kubernetes overlay (kubectl kustomize) and validate it offline
	@$(PYTEST) deploy/tests/test_kubernetes_manifests.py $(PYTEST_ARGS)
