"""One co-authored post, one trace: gateway → posts → outbox relay → RabbitMQ → the consumers.

The whole system runs in this process (each service served over HTTP on a loopback port, on
the real broker and the embedded MongoDB), with tracing on and an in-memory exporter, so the
test can read every span each process produced.
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from compose_stack import docker_requested
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from invitations.app import create_app as create_invitations
from invitations.settings import InvitationsSettings
from notifications.app import create_app as create_notifications
from notifications.settings import NotificationsSettings
from posts.app import create_app as create_posts
from posts.settings import PostsSettings
from shared.settings import ServiceSettings
from shared.testing import (
    identity_settings,
    served_over_http,
    served_with_its_queues,
    wait_until,
)
from shared.testing import test_settings as isolated_settings
from shared.tracing import SERVICE_ATTRIBUTE, disable_tracing, enable_tracing
from timeline.app import create_app as create_timeline
from timeline.settings import TimelineSettings
from users.app import create_app as create_users
from users.settings import UsersSettings

# No container takes part: the container stage would run it again as make test ran it.
pytestmark = pytest.mark.skipif(
    docker_requested(), reason="runs in this process, no container; make test runs it"
)

PASSWORD = "correct horse battery staple"
OPENMETRICS = "application/openmetrics-text; version=1.0.0"
# What one published post with a co-author leads to, by the span each step makes.
EXPECTED_STEPS = (
    "outbox relay post.created",
    "invitations handle post.created",
    "outbox relay invitation.created",
    "notifications handle invitation.created",
    "outbox relay post.published",
    "timeline handle post.published",
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    enable_tracing(provider)
    yield exporter
    disable_tracing()


@asynccontextmanager
async def whole_system(
    mongo_url: str, amqp_url: str, namespace: str
) -> AsyncIterator[dict[str, str]]:
    """Every service and the gateway, in this process; yields their URLs by `<name>_url`."""

    def settings[S: ServiceSettings](cls: type[S], **extra: Any) -> S:
        return isolated_settings(
            cls, mongo_url=mongo_url, amqp_url=amqp_url, namespace=namespace, **extra
        )

    async with AsyncExitStack() as stack:
        users = await stack.enter_async_context(
            served_with_its_queues(create_users(settings(UsersSettings)))
        )
        urls = {"users_url": users}
        urls["posts_url"] = await stack.enter_async_context(
            served_with_its_queues(create_posts(settings(PostsSettings, users_url=users)))
        )
        urls["invitations_url"] = await stack.enter_async_context(
            served_with_its_queues(
                create_invitations(settings(InvitationsSettings, users_url=users))
            )
        )
        urls["timeline_url"] = await stack.enter_async_context(
            served_with_its_queues(create_timeline(settings(TimelineSettings)))
        )
        urls["notifications_url"] = await stack.enter_async_context(
            served_with_its_queues(create_notifications(settings(NotificationsSettings)))
        )
        gateway = GatewaySettings(static_dir=None, **urls, **identity_settings("gateway"))
        urls["gateway_url"] = await stack.enter_async_context(
            served_over_http(create_gateway(gateway))
        )
        yield urls


async def signed_up(gateway: str, handle: str) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=gateway, timeout=15.0) as anonymous:
        created = await anonymous.post(
            "/v1/users", json={"handle": handle, "password": PASSWORD, "display_name": handle}
        )
        assert created.status_code == 201, created.text
        issued = await anonymous.post(
            "/v1/auth/token", json={"handle": handle, "password": PASSWORD}
        )
        assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    return httpx.AsyncClient(
        base_url=gateway, timeout=15.0, headers={"Authorization": f"Bearer {token}"}
    )


def service_of(span: ReadableSpan) -> str | None:
    value = (span.attributes or {}).get(SERVICE_ATTRIBUTE)
    return None if value is None else str(value)


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    """The span's parents up to the root, as far as they are in `by_id` (nearest first)."""
    chain = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


def is_gateway_post(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    return (
        span.kind is SpanKind.SERVER
        and service_of(span) == "gateway"
        and attributes.get("http.method") == "POST"
        and attributes.get("http.target") == "/v1/posts"
    )


def named(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, f"{len(found)} spans named {name!r}"
    return found[0]


async def test_a_co_authored_post_is_one_trace_from_the_gateway_to_every_consumer(
    spans: InMemorySpanExporter, mongo_url: str, amqp_url: str, namespace: str
) -> None:
    async with whole_system(mongo_url, amqp_url, namespace) as urls:
        gateway = urls["gateway_url"]
        alice = await signed_up(gateway, "alice")
        bob = await signed_up(gateway, "bob")
        async with alice, bob:
            policy = await bob.patch("/v1/me", json={"collab_policy": "everyone"})
            assert policy.status_code == 200, policy.text
            created = await alice.post(
                "/v1/posts",
                json={"text": "Hello, traced world", "coauthors": ["bob"], "publish_mode": "now"},
            )
            assert created.status_code == 201, created.text

            def post_trace() -> list[ReadableSpan] | None:
                finished = spans.get_finished_spans()
                requests = [span for span in finished if is_gateway_post(span)]
                if not requests:
                    return None
                trace_id = requests[0].context.trace_id
                found = [span for span in finished if span.context.trace_id == trace_id]
                return found if {s.name for s in found}.issuperset(EXPECTED_STEPS) else None

            trace = await wait_until(post_trace, timeout=20)
        # The request's latency, as posts measured it, points at its trace (an exemplar).
        async with httpx.AsyncClient(base_url=urls["posts_url"]) as posts:
            scraped = await posts.get("/metrics", headers={"Accept": OPENMETRICS})
        trace_id = format_trace_id(trace[0].context.trace_id)
        exemplars = [line for line in scraped.text.splitlines() if f'trace_id="{trace_id}"' in line]
        assert any(
            line.startswith("copost_http_request_duration_seconds_bucket{")
            and 'route="/v1/posts"' in line
            and 'service="posts"' in line
            for line in exemplars
        ), exemplars

    # Background passes (outbox sweeps, the change feed, expiry, scrapes) make no traces of
    # their own: the only MongoDB commands outside a request or an event are start-up's
    # and shut-down's.
    stray = {
        span.name
        for span in spans.get_finished_spans()
        if span.parent is None and (span.attributes or {}).get("db.system") == "mongodb"
    }
    assert {name.rpartition(".")[2] for name in stray} <= {"createIndexes", "endSessions"}, stray
    by_id = {span.context.span_id: span for span in trace}
    request = next(span for span in trace if is_gateway_post(span))
    # Every step hangs from the gateway's request; only the test's own HTTP call is above it.
    for span in trace:
        if span is not request and request not in ancestors(span, by_id):
            assert span in ancestors(request, by_id), f"{span.name} is cut off from the request"
    posts_server = [s for s in trace if s.kind is SpanKind.SERVER and service_of(s) == "posts"]
    assert len(posts_server) == 1, "the gateway's call reaches posts in the same trace"
    invitations_handler = named(trace, "invitations handle post.created")
    notification = named(trace, "notifications handle invitation.created")
    timeline = named(trace, "timeline handle post.published")
    # The notification went: posts' request → its outbox → invitations → its outbox → notifications.
    assert invitations_handler in ancestors(notification, by_id)
    assert named(trace, "outbox relay invitation.created") in ancestors(notification, by_id)
    assert posts_server[0] in ancestors(invitations_handler, by_id)
    assert posts_server[0] in ancestors(timeline, by_id)
    # Through the broker: a producer span before each consumer's receive span.
    receive = ancestors(notification, by_id)[0]
    assert receive.kind is SpanKind.CONSUMER
    assert ancestors(receive, by_id)[0].kind is SpanKind.PRODUCER
    # The handlers' MongoDB commands are in it too.
    assert any(
        (span.attributes or {}).get("db.system") == "mongodb"
        and notification in ancestors(span, by_id)
        for span in trace
    )
