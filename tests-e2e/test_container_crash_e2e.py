"""In containers (E2E_DOCKER=1): services that crash mid-burst come back, and lose nothing.

The timeline and notifications containers are killed (SIGKILL from outside, as a crash) in the
middle of a burst of posts and follows; compose's restart policy brings them back, and every
acknowledged post and follow reaches its readers exactly once.
"""

from burst import burst_with_failure
from compose_stack import ComposeStack
from conftest import NewUser

from shared.testing import wait_until

CRASHED = ("timeline", "notifications")


async def test_killed_timeline_and_notifications_restart_and_deliver_every_change_once(
    containers: ComposeStack, new_user: NewUser
) -> None:
    restarts_before = {service: containers.restart_count(service) for service in CRASHED}

    async def kill() -> None:
        for service in CRASHED:
            containers.crash(service)

    async def restarted_and_healthy() -> None:
        for service in CRASHED:
            await wait_until(
                lambda s=service: (
                    containers.restart_count(s) > restarts_before[s]
                    and containers.health(s) == "healthy"
                ),
                timeout=120,
                interval=0.5,
            )

    acknowledged = await burst_with_failure(new_user, kill, restarted_and_healthy)

    assert acknowledged.post_ids, "no post was acknowledged"
    assert acknowledged.follower_handles, "no follow was acknowledged"
