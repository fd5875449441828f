"""Renders what is derived in deploy/monitoring, so each thing is written once:

- prometheusrule.yaml (applied by the Kubernetes prod overlay) from the one rule file,
  prometheus/alerts.yaml (read by Prometheus in compose and by promtool);
- the Grafana dashboards, grafana/dashboards/*.json, from the panels listed below.

Edit the rule file or the panels, then: `.venv/bin/python deploy/monitoring/render.py`.
deploy/tests/test_monitoring.py fails while a rendered file is not what this renders.
"""

import json
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE / "prometheus" / "alerts.yaml"
PROMETHEUS_RULE = HERE / "prometheusrule.yaml"
HEADER = """\
# Rendered from prometheus/alerts.yaml by deploy/monitoring/render.py: edit that file, not this.
# The Prometheus Operator loads it when its Prometheus resource's ruleSelector matches the label
# copost.io/scrape: "true" (as for the ServiceMonitors).
"""


def prometheus_rule() -> dict[str, Any]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "copost", "labels": {"copost.io/scrape": "true"}},
        "spec": {"groups": groups},
    }


def rendered_prometheus_rule() -> str:
    return HEADER + yaml.safe_dump(prometheus_rule(), sort_keys=False, width=100)


# -- dashboards: (title, unit, [(PromQL, legend)]) per panel, two panels a row ---------------

type Panel = tuple[str, str, list[tuple[str, str]]]
RATE = "[$__rate_interval]"
DLQ_OR_RETRY = r'".+\\.(dead-letter|retry\\.[0-9]+)"'


def p95(metric: str, by: str) -> str:
    return f"histogram_quantile(0.95, sum by ({by}, le) (rate({metric}_bucket{RATE})))"


OVERVIEW: list[Panel] = [
    (
        "Requests per second",
        "reqps",
        [(f"sum by (service) (rate(copost_http_requests_total{RATE}))", "{{service}}")],
    ),
    (
        "Share of 5xx answers (alert: over 5%)",
        "percentunit",
        [
            (
                f'sum by (service) (rate(copost_http_requests_total{{status=~"5.."}}{RATE}))'
                f" / sum by (service) (rate(copost_http_requests_total{RATE}))",
                "{{service}}",
            )
        ],
    ),
    (
        "Latency p95 by route (exemplars link to traces)",
        "s",
        [
            (
                p95("copost_http_request_duration_seconds", "service, method, route"),
                "{{service}} {{method}} {{route}}",
            )
        ],
    ),
    (
        "Latency p50 by service",
        "s",
        [
            (
                "histogram_quantile(0.5, sum by (service, le)"
                f" (rate(copost_http_request_duration_seconds_bucket{RATE})))",
                "{{service}}",
            )
        ],
    ),
    ("Ready (every replica)", "short", [("min by (service) (copost_ready)", "{{service}}")]),
    (
        "Readiness changes in 15 minutes (alert: over 4)",
        "short",
        [("sum by (service) (increase(copost_readiness_changes_total[15m]))", "{{service}}")],
    ),
    ("Open event streams", "short", [("sum by (service) (copost_open_streams)", "{{service}}")]),
    (
        "Since each background task's last good pass (alert: over 10 min)",
        "s",
        [
            (
                "time() - max by (job, task) (copost_periodic_task_last_success_timestamp_seconds)",
                "{{job}} {{task}}",
            )
        ],
    ),
]

EVENTS: list[Panel] = [
    (
        "Outbox: events not yet published",
        "short",
        [("max by (service) (copost_outbox_backlog_events)", "{{service}}")],
    ),
    (
        "Outbox: age of the oldest unpublished event (alert: over 60 s)",
        "s",
        [("max by (service) (copost_outbox_oldest_event_age_seconds)", "{{service}}")],
    ),
    (
        "Events published per second, confirmed or failed",
        "ops",
        [
            (
                f"sum by (service, outcome) (rate(copost_events_published_total{RATE}))",
                "{{service}} {{outcome}}",
            )
        ],
    ),
    (
        "Events handled per second, by outcome",
        "ops",
        [
            (
                f"sum by (service, outcome) (rate(copost_event_handling_seconds_count{RATE}))",
                "{{service}} {{outcome}}",
            )
        ],
    ),
    (
        "Handling time p95 by event type (exemplars link to traces)",
        "s",
        [
            (
                p95("copost_event_handling_seconds", "service, event_type"),
                "{{service}} {{event_type}}",
            )
        ],
    ),
    (
        "Retries and dead letters per second",
        "ops",
        [
            (f"sum by (queue) (rate(copost_events_retried_total{RATE}))", "retry {{queue}}"),
            (
                f"sum by (queue, reason) (rate(copost_events_dead_lettered_total{RATE}))",
                "dead letter {{queue}} ({{reason}})",
            ),
        ],
    ),
    (
        "Events waiting in each consumer's queue (alert: over 100 and growing)",
        "short",
        [(f"max by (queue) (copost_queue_messages{{queue!~{DLQ_OR_RETRY}}})", "{{queue}}")],
    ),
    (
        "Dead-letter and retry queues (alert: a dead letter)",
        "short",
        [
            (
                f"max by (queue) (copost_queue_messages{{queue=~{DLQ_OR_RETRY}}})",
                "{{queue}}",
            )
        ],
    ),
    (
        "Fan-out: home timelines per post, p95",
        "short",
        [(p95("copost_fan_out_deliveries", "job"), "{{job}}")],
    ),
    (
        "Fan-out: duration p95 (exemplars link to traces)",
        "s",
        [(p95("copost_fan_out_duration_seconds", "job"), "{{job}}")],
    ),
]

DASHBOARDS = {
    "copost-overview": ("CoPost: requests and health", OVERVIEW),
    "copost-events": ("CoPost: events, outbox, queues and fan-out", EVENTS),
}


def dashboard(uid: str, title: str, panels: list[Panel]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["copost"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "panels": [timeseries(i, *panel) for i, panel in enumerate(panels)],
    }


def timeseries(index: int, title: str, unit: str, queries: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "gridPos": {"x": 12 * (index % 2), "y": 8 * (index // 2), "w": 12, "h": 8},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
                "exemplar": True,
            }
            for n, (expr, legend) in enumerate(queries)
        ],
    }


def rendered_dashboards() -> dict[Path, str]:
    folder = HERE / "grafana" / "dashboards"
    return {
        folder / f"{uid}.json": json.dumps(dashboard(uid, title, panels), indent=2) + "\n"
        for uid, (title, panels) in DASHBOARDS.items()
    }


def rendered() -> dict[Path, str]:
    """Every derived file and the text it must have."""
    return {PROMETHEUS_RULE: rendered_prometheus_rule(), **rendered_dashboards()}


if __name__ == "__main__":
    for path, text in rendered().items():
        path.write_text(text)
