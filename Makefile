# CoPost: two commands to know — `make run` and `make test`. `make help` lists the rest.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV_BIN := .venv/bin
PYTHON := $(VENV_BIN)/python
PYTEST := $(VENV_BIN)/pytest
RUFF := $(VENV_BIN)/ruff
# The services that exist so far (each has services/<name>/Dockerfile).
SERVICES := $(patsubst services/%/Dockerfile,%,$(wildcard services/*/Dockerfile))
BASE_IMAGE ?= python:3.13-slim
TAG ?= dev
PYTEST_ARGS ?=
# Where bootstrap.sh may have put uv.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: help install rabbitmq run test lint format unit e2e bench up down images k8s-check

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install uv, Python 3.13 and the workspace into .venv (idempotent)
	@deploy/local/bootstrap.sh

rabbitmq: ## make sure RabbitMQ answers at AMQP_URL (start or install it locally if needed)
	@deploy/local/rabbitmq.sh

run: install rabbitmq ## run every service locally: the gateway on http://127.0.0.1:8000 (PORT)
	@$(PYTHON) deploy/local/run.py

test: install rabbitmq lint ## lint, then every test: unit, integration and end-to-end
	@$(PYTEST) $(PYTEST_ARGS)

lint: install ## ruff check, ruff format --check, and mypy --strict over the packages
	@$(RUFF) check .
	@$(RUFF) format --check .
	@$(VENV_BIN)/mypy --strict shared/src services/*/src

format: install ## apply ruff's fixes and formatting
	@$(RUFF) check --fix .
	@$(RUFF) format .

unit: install rabbitmq ## the service and shared tests, without the end-to-end suite
	@$(PYTEST) -m "not e2e" $(PYTEST_ARGS)

e2e: install rabbitmq ## the end-to-end suite: the whole stack on free ports, through the gateway
	@$(PYTEST) tests-e2e $(PYTEST_ARGS)

bench: install rabbitmq ## reads (wrk), fan-out and the event pipeline beside their floors; writes bench/results/
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	@for script in read_bench pipeline_bench timeline_bench; do \
	  echo "== bench/$$script.py"; $(PYTHON) bench/$$script.py; done

up: ## docker compose: build and start MongoDB, RabbitMQ and every service (gateway on :8000)
	BASE_IMAGE=$(BASE_IMAGE) TAG=$(TAG) docker compose up --build --detach --wait \
	  mongo rabbitmq $(SERVICES)

down: ## docker compose: stop and remove the containers (volumes are kept)
	docker compose down

images: ## build one image per service (copost/<service>:TAG) from BASE_IMAGE
	@for service in $(SERVICES); do \
	  echo "== copost/$$service:$(TAG)"; \
	  docker build --file services/$$service/Dockerfile --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	    --tag copost/$$service:$(TAG) . ; \
	done

k8s-check: install ## parse every Kubernetes manifest and check the kustomizations' references
	@uv run --no-project --quiet --with pyyaml -p $(PYTHON) deploy/k8s/check_manifests.py
