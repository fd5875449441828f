"""Errors over a real HTTP connection: problem+json, and the connection survives a 500."""

import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from shared.observability import RequestContextMiddleware
from shared.problems import NotFound, install_problem_handlers
from shared.testing import served_over_http


def app_that_fails() -> FastAPI:
    app = FastAPI(redirect_slashes=False)
    app.add_middleware(RequestContextMiddleware, service_name="errors-test")
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("No such thing.")

    @app.get("/stored")
    async def stored() -> None:
        # A real driver against a port nothing listens on: the database is down.
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=200
        )
        try:
            await client.db.things.find_one({})
        finally:
            await client.close()

    @app.get("/fine")
    async def fine() -> dict[str, bool]:
        return {"fine": True}

    return app


async def test_a_bug_is_a_500_problem_and_the_connection_serves_the_next_request() -> None:
    async with (
        served_over_http(app_that_fails()) as url,
        httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1)) as client,
    ):
        failed = await client.get("/boom", headers={"X-Request-ID": "req-42"})
        after = await client.get("/fine")

    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.headers["x-request-id"] == "req-42"
    assert "a bug" not in failed.text  # no internals leak
    assert after.status_code == 200
    assert after.json() == {"fine": True}


async def test_a_problem_raised_by_a_route_keeps_its_status() -> None:
    async with served_over_http(app_that_fails()) as url, httpx.AsyncClient(base_url=url) as c:
        response = await c.get("/missing")

    assert response.status_code == 404
    assert response.json()["detail"] == "No such thing."


async def test_a_trailing_slash_is_not_redirected() -> None:
    async with served_over_http(app_that_fails()) as url, httpx.AsyncClient(base_url=url) as c:
        response = await c.get("/fine/")

    assert response.status_code == 404
    assert "location" not in response.headers


async def test_a_database_out_of_reach_is_a_503_to_retry_not_a_500() -> None:
    async with served_over_http(app_that_fails()) as url, httpx.AsyncClient(base_url=url) as c:
        response = await c.get("/stored")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert "127.0.0.1" not in response.text  # no internals leak
