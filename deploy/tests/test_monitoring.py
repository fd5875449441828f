"""The alert rules and dashboards of deploy/monitoring: current, valid, tested with promtool,
reading only metrics the services export, and each alert in the runbook (docs/operations.md)."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

# The modules that define CoPost's metrics: importing them registers them.
import shared.bus
import shared.observability
import shared.outbox
import shared.periodic  # noqa: F401
import timeline.fanout.commands  # noqa: F401
from shared.testing import load_script

MONITORING = Path(__file__).resolve().parents[1] / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yaml"
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


render = load_script(MONITORING / "render.py")


def promtool(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """Run promtool: on PATH, or where deploy/local/promtool.sh puts it (~/.local/bin)."""
    found = shutil.which("promtool") or shutil.which("promtool", path=Path.home() / ".local/bin")
    if found is None:
        pytest.skip("promtool is missing: `make promtool` takes it from Debian's package")
    return subprocess.run(  # noqa: S603 -- promtool with our own files
        [found, *map(str, arguments)], capture_output=True, text=True, check=False
    )


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries() -> list[str]:
    return [
        expr
        for _, panels in render.DASHBOARDS.values()
        for _, _, queries in panels
        for expr, _ in queries
    ]


def test_the_rendered_prometheus_rule_and_dashboards_are_current() -> None:
    for path, text in render.rendered().items():
        assert path.read_text() == text, f"{path.name} is stale: run deploy/monitoring/render.py"


def test_the_alert_rules_are_valid_and_pass_their_unit_tests() -> None:
    checked = promtool("check", "rules", RULES)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", RULES.parent / "alerts.test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    records = [
        {"record": f"dashboard:query_{n}", "expr": expr.replace("$__rate_interval", "5m")}
        for n, expr in enumerate(dashboard_queries())
    ]
    rules = tmp_path / "dashboard-queries.yaml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": records}]}))
    checked = promtool("check", "rules", rules)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def exported_metric_names() -> set[str]:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("copost_"):
            names.update(family.name + s for s in suffixes.get(family.type, [""]))
    return names


def test_alerts_and_dashboards_read_only_metrics_the_services_export() -> None:
    used = set()
    for expr in [rule["expr"] for rule in alert_rules()] + dashboard_queries():
        used.update(re.findall(r"\bcopost_[a-z_]+", expr))
    assert used
    assert used <= exported_metric_names(), used - exported_metric_names()


def test_every_alert_links_to_its_entry_in_the_runbook() -> None:
    runbook = RUNBOOK.read_text()
    for rule in alert_rules():
        assert f"### {rule['alert']}\n" in runbook, f"no runbook entry for {rule['alert']}"
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
