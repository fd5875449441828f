"""A broker outage delays the users service's events, never loses them nor fails the request."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import SecretStr

from shared.outbox import OutboxRelay
from shared.testing import EventRecorder, TcpProxy, running_service, wait_until
from users.app import create_app
from users.settings import UsersSettings


def through(proxy_port: int, amqp_url: str) -> str:
    parts = urlsplit(amqp_url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{proxy_port}"))


async def test_a_registration_during_a_broker_outage_is_published_once_it_is_back(
    users_settings: UsersSettings, amqp_url: str, event_recorder: EventRecorder
) -> None:
    broker = urlsplit(amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    port = await proxy.start()
    proxied_url = SecretStr(through(port, amqp_url))
    app = create_app(users_settings.model_copy(update={"amqp_url": proxied_url}))
    try:
        async with running_service(app) as client:
            relay = app.state.runtime.relay
            await proxy.cut()

            response = await client.post(
                "/v1/users",
                json={"handle": "yuri", "password": "correct horse", "display_name": "Yuri"},
            )
            assert response.status_code == 201, response.text
            with pytest.raises(RuntimeError, match="not confirmed"):
                await relay.relay_pending()  # what the relay's own wake-up tries, in the open
            assert await relay.pending_count() == 1
            assert event_recorder.of_type("user.registered") == []

            await proxy.restore()
            [event] = await event_recorder.wait_for("user.registered", timeout=30)
            assert event.data["user_id"] == response.json()["id"]
            await wait_until(lambda: _outbox_empty(relay), timeout=10)
    finally:
        await proxy.close()


async def _outbox_empty(relay: OutboxRelay) -> bool:
    return await relay.pending_count() == 0
