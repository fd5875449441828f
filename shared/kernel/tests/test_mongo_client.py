"""The services' MongoDB client against a server that stops answering: it fails, never hangs."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from pymongo.errors import PyMongoError

from shared.mongo import create_mongo_client
from shared.settings import ServiceSettings
from shared.testing import TcpProxy, tcp_proxy_to

# Far beyond the configured timeouts below: only a client without timeouts reaches it.
HANG_BOUND_SECONDS = 15.0


@pytest.fixture
async def proxy(mongo_url: str) -> AsyncIterator[TcpProxy]:
    async with tcp_proxy_to(mongo_url, default_port=27017) as proxy:
        yield proxy


def settings_through(proxy: TcpProxy) -> ServiceSettings:
    return ServiceSettings(
        mongo_url=SecretStr(f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true"),
        mongo_connect_timeout_seconds=0.5,
        mongo_server_selection_timeout_seconds=0.5,
        mongo_socket_timeout_seconds=0.5,
    )


async def test_a_query_to_a_server_that_stopped_answering_fails_instead_of_hanging(
    proxy: TcpProxy,
) -> None:
    client = create_mongo_client(settings_through(proxy))
    try:
        collection = client["copost_timeouts"]["things"]
        await collection.find_one({})  # connected and answering
        proxy.stall()
        with pytest.raises(PyMongoError):
            await asyncio.wait_for(collection.find_one({}), HANG_BOUND_SECONDS)
    finally:
        await client.close()


async def test_a_server_that_never_answers_the_handshake_fails_the_first_query(
    proxy: TcpProxy,
) -> None:
    proxy.stall()
    client = create_mongo_client(settings_through(proxy))
    try:
        with pytest.raises(PyMongoError):
            await asyncio.wait_for(client["copost_timeouts"].command("ping"), HANG_BOUND_SECONDS)
    finally:
        await client.close()
