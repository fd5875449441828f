"""The capacity plan: its table is the model's output, and the model's settings are the code's.

docs/capacity.md shows what bench/capacity_model.py prints; the settings the model copies
(feed cap, notification retention, the HPAs' target and maximum replicas)
are those the services and the Kubernetes manifests have, so neither side can drift.
"""

import re
from pathlib import Path

from notifications.settings import NotificationsSettings
from shared.testing import load_script
from timeline.settings import TimelineSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAN = REPO_ROOT / "docs" / "capacity.md"
TABLE = re.compile(
    r"<!-- capacity-model: begin[^>]*-->\n(.*?)<!-- capacity-model: end -->", re.DOTALL
)

model = load_script(REPO_ROOT / "bench" / "capacity_model.py")


def test_the_plans_table_is_what_the_model_prints() -> None:
    shown = TABLE.search(PLAN.read_text())
    assert shown is not None, "docs/capacity.md lost its capacity-model markers"
    assert shown.group(1) == model.render(), (
        "docs/capacity.md is stale: paste the output of python3 bench/capacity_model.py"
    )


def test_the_models_timeline_settings_are_the_services_defaults() -> None:
    settings = TimelineSettings()
    assert settings.home_timeline_cap == model.HOME_TIMELINE_CAP
    retention_days = NotificationsSettings().notification_retention_seconds / 86_400
    assert retention_days == model.NOTIFICATION_RETENTION_DAYS


def test_the_models_autoscaling_target_is_the_manifests() -> None:
    scaling = (REPO_ROOT / "deploy" / "k8s" / "base" / "process" / "scaling.yaml").read_text()
    found = re.search(r"averageUtilization: (\d+)", scaling)
    assert found is not None
    assert round(model.HPA_TARGET * 100) == int(found.group(1))


def test_the_models_maximum_replicas_are_the_manifests() -> None:
    manifests = {}
    for values in (REPO_ROOT / "deploy" / "k8s" / "base").glob("*/values.yaml"):
        found = re.search(r'^\s+max-replicas: "(\d+)"', values.read_text(), re.MULTILINE)
        if found:
            manifests[values.parent.name] = int(found.group(1))
    assert manifests == model.MAX_REPLICAS
