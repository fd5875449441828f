"""A short soak: two minutes of the social mix at a constant rate while a consumer is killed
(SIGKILL), the gateway is stopped gracefully (SIGTERM) and restarted, then a service likewise;
then the ledger check of bench/soak.py: nothing acknowledged lost, nothing doubled.

A stack of its own (it has processes killed), supervised as `make run` supervises it. The long
run with every kind of fault is `make soak` (docs/operations.md, "Soak").
"""

import pytest
from conftest import running_local_stack
from faults import KILL, TERM
from soak import SOAK_ENVIRONMENT, SoakConfig, report, soak

SCHEDULE = (f"{KILL}:notifications", f"{TERM}:gateway", f"{TERM}:timeline")
CONFIG = SoakConfig(
    duration=120.0, rate=6.0, users=12, fault_interval=30.0, schedule=SCHEDULE, settle_seconds=240.0
)
# Twelve accounts: the two everyone follows are celebrities (merged into homes at read time).
SETTINGS = {**SOAK_ENVIRONMENT, "CELEBRITY_FOLLOWER_THRESHOLD": "6"}
# The bounds on errors. During a fault, the one local replica of its target is down until it
# is ready again, so the requests that need it fail (replicas behind a load balancer would
# take that away): what is bounded there is how they fail, as unavailability (no answer,
# 502, 503, 504), never a 500, which would be a bug a restart exposed. Outside the faults, at
# most one error in a hundred requests: an error lingering after the target is ready again is
# a recovery that is not over.
UNAVAILABLE = {0, 502, 503, 504}
ERROR_RATE_OUTSIDE_FAULTS = 0.01


async def test_a_short_soak_with_faults_loses_and_doubles_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with running_local_stack(tmp_path_factory, SETTINGS) as stack:
        result = await soak(stack, CONFIG)
    details = report(result)
    assert result.passed, details
    assert [(f.kind, f.target) for f in result.faults] == [
        (kind, target) for kind, _, target in (s.partition(":") for s in SCHEDULE)
    ], details
    assert all(f.recovered is not None for f in result.faults), details
    # Outside the faults: from a fault's signal until its target is ready again, and a margin
    # after (soak.FAULT_MARGIN_SECONDS) for connections the restart broke.
    assert result.error_rate_outside() <= ERROR_RATE_OUTSIDE_FAULTS, details
    assert {s.status for s in result.samples if s.outcome == "error"} <= UNAVAILABLE, details
    assert not [s for s in result.samples if s.outcome == "refused"], details
    assert result.shed == 0, details
