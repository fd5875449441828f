"""A model serialised once: the same bytes and headers as FastAPI's validate-and-encode path."""

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from shared.pagination import Page
from shared.responses import ModelResponse


class Item(BaseModel):
    text: str
    at: datetime
    count: int | None = None


PAGE = Page[Item](
    items=[
        Item(text='quotes " and \\ and é, 漢字, \u2028, a tab\t and \x01', at=datetime.now(UTC)),
        Item(text="", at=datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC), count=3),
    ],
    next_cursor=None,
)


async def test_a_model_response_is_what_fastapi_would_have_sent() -> None:
    app = FastAPI()

    @app.get("/validated")
    async def validated() -> Page[Item]:
        return PAGE

    @app.get("/once", response_model=Page[Item])
    async def once() -> ModelResponse:
        return ModelResponse(PAGE)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        expected, got = await client.get("/validated"), await client.get("/once")

    assert got.content == expected.content
    assert got.headers == expected.headers
    schema = app.openapi()["paths"]
    assert schema["/once"]["get"]["responses"] == schema["/validated"]["get"]["responses"]
