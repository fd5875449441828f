"""Which remote hosts get deliveries when: blocked domains never, a failing host after a wait
that doubles with each failure in a row, a host failing for too long not until heard from."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from federation.core.urls import LocalUrls
from shared.clock import utc_now
from shared.events.federation import ActivityDeliveryRequested


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    backoff_base: timedelta
    backoff_max: timedelta
    give_up_after: timedelta


@dataclass(frozen=True, slots=True)
class HostHealth:
    """A remote host that failed: since when, how many times in a row, when to try next."""

    host: str
    failures: int
    failing_since: datetime
    next_attempt_at: datetime
    parked: bool

    def waiting(self, now: datetime) -> bool:
        """Whether deliveries to this host are held now instead of attempted."""
        return self.parked or now < self.next_attempt_at


def delivery_as(
    sender_id: str, handle: str, inbox: str, activity: dict[str, Any], urls: LocalUrls
) -> ActivityDeliveryRequested:
    """`activity` to send to `inbox`, signed as the local user `sender_id` (`handle`)."""
    return ActivityDeliveryRequested(
        sender_id=sender_id,
        key_id=urls.key_id(handle),
        inbox=inbox,
        activity=activity,
        requested_at=utc_now(),
    )


def host_of(url: str) -> str:
    """The host a delivery goes to (with its port: two servers on one address are two hosts)."""
    return urlsplit(url).netloc.lower()


def is_blocked(url: str, blocked_domains: Sequence[str]) -> bool:
    """Whether `url` is on a blocked domain or one of its subdomains."""
    name = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(name == domain or name.endswith(f".{domain}") for domain in blocked_domains)


def after_failure(
    host: str, health: HostHealth | None, now: datetime, policy: DeliveryPolicy
) -> HostHealth:
    """The host's health once another attempt failed: the wait doubles, and a host failing for
    longer than the policy allows is parked."""
    failures = health.failures + 1 if health else 1
    since = health.failing_since if health else now
    wait = min(policy.backoff_base * 2 ** (failures - 1), policy.backoff_max)
    return HostHealth(
        host=host,
        failures=failures,
        failing_since=since,
        next_attempt_at=now + wait,
        parked=now - since >= policy.give_up_after,
    )
