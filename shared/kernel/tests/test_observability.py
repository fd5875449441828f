"""The health router: readiness recorded as a metric, gauges measured at a scrape, both formats."""

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY, Gauge

from shared.observability import health_router

SCRAPED = Gauge("copost_test_scraped", "Set by the test's refresher at each scrape")


def app_with(dependency_up: list[bool], scrapes: list[int]) -> FastAPI:
    async def dependency() -> bool:
        return dependency_up[0]

    async def count_scrape() -> None:
        scrapes.append(1)
        SCRAPED.set(len(scrapes))

    async def broken() -> None:
        raise ConnectionError("the database is down")

    app = FastAPI()
    app.include_router(
        health_router(
            {"dependency": dependency},
            service_name="health-test",
            metrics_refreshers=[broken, count_scrape],
        )
    )
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_each_readiness_probe_records_whether_the_process_was_ready_and_flaps() -> None:
    dependency_up = [True]
    async with client_of(app_with(dependency_up, [])) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert REGISTRY.get_sample_value("copost_ready", {"service": "health-test"}) == 1
        dependency_up[0] = False
        assert (await client.get("/readyz")).status_code == 503
        assert REGISTRY.get_sample_value("copost_ready", {"service": "health-test"}) == 0
        dependency_up[0] = True
        assert (await client.get("/readyz")).status_code == 200
    changes = REGISTRY.get_sample_value(
        "copost_readiness_changes_total", {"service": "health-test"}
    )
    assert changes == 2


async def test_a_scrape_measures_first_and_answers_even_when_a_measure_fails() -> None:
    scrapes: list[int] = []
    async with client_of(app_with([True], scrapes)) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "copost_test_scraped 1.0" in response.text


async def test_a_scraper_asking_for_openmetrics_gets_it() -> None:
    async with client_of(app_with([True], [])) as client:
        response = await client.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
