"""The aggregated OpenAPI document: the services' public paths, one security scheme, the docs."""

from typing import Any

import httpx

from gateway.openapi import BEARER_SCHEME_NAME, merge_openapi
from shared.services import Backend as Upstream

OWN: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "CoPost API", "version": "1"}}


def _document(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas or {}}}


def _operation(summary: str) -> dict[str, Any]:
    return {"summary": summary, "responses": {"200": {"description": "OK"}}}


def test_public_paths_of_each_service_are_merged_with_their_schemas() -> None:
    users = _document(
        {"/v1/users": {"post": _operation("register")}, "/v1/me": {"get": _operation("me")}},
        {"User": {"type": "object"}},
    )
    posts = _document(
        {"/v1/posts/{post_id}": {"get": _operation("post")}}, {"Post": {"type": "object"}}
    )

    merged = merge_openapi(OWN, {Upstream.USERS: users, Upstream.POSTS: posts})

    assert set(merged["paths"]) == {"/v1/users", "/v1/me", "/v1/posts/{post_id}"}
    assert {"User", "Post", "Problem"} <= set(merged["components"]["schemas"])
    assert merged["info"]["title"] == "CoPost API"


def test_internal_paths_and_paths_routed_to_another_service_are_left_out() -> None:
    timeline = _document(
        {
            "/v1/users/{handle}/posts": {"get": _operation("profile")},
            "/v1/posts/{post_id}": {"get": _operation("not mine")},
            "/internal/cards": {"get": _operation("internal")},
            "/healthz": {"get": _operation("health")},
        }
    )

    merged = merge_openapi(OWN, {Upstream.TIMELINE: timeline})

    assert set(merged["paths"]) == {"/v1/users/{handle}/posts"}


def test_a_bearer_scheme_applies_everywhere_except_registration_and_login() -> None:
    users = _document(
        {
            "/v1/users": {"post": _operation("register")},
            "/v1/auth/token": {"post": _operation("login")},
            "/v1/me": {"get": _operation("me")},
        }
    )

    merged = merge_openapi(OWN, {Upstream.USERS: users})

    assert merged["components"]["securitySchemes"][BEARER_SCHEME_NAME]["scheme"] == "bearer"
    assert merged["security"] == [{BEARER_SCHEME_NAME: []}]
    assert merged["paths"]["/v1/users"]["post"]["security"] == []
    assert merged["paths"]["/v1/auth/token"]["post"]["security"] == []
    assert merged["paths"]["/v1/me"]["get"]["security"] == [{BEARER_SCHEME_NAME: []}]


def test_each_operation_declares_what_the_gateway_answers_in_front_of_it() -> None:
    users = _document(
        {
            "/v1/users": {"post": _operation("register") | {"requestBody": {"content": {}}}},
            "/v1/me": {"get": _operation("me")},
        }
    )

    paths = merge_openapi(OWN, {Upstream.USERS: users})["paths"]

    register, me = paths["/v1/users"]["post"]["responses"], paths["/v1/me"]["get"]["responses"]
    assert set(register) == {"200", "413", "422", "429", "502", "503", "504"}
    assert set(me) == {"200", "401", "429", "502", "503", "504"}
    assert "Retry-After" in me["429"]["headers"]
    assert me["401"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }


def test_the_stream_documents_its_query_token() -> None:
    notifications = _document({"/v1/notifications/stream": {"get": _operation("stream")}})

    merged = merge_openapi(OWN, {Upstream.NOTIFICATIONS: notifications})

    parameters = merged["paths"]["/v1/notifications/stream"]["get"]["parameters"]
    assert [parameter["name"] for parameter in parameters] == ["access_token"]


def test_merging_leaves_the_inputs_untouched() -> None:
    users = _document({"/v1/users": {"post": _operation("register")}})

    merge_openapi(OWN, {Upstream.USERS: users})

    assert "security" not in users["paths"]["/v1/users"]["post"]
    assert "paths" not in OWN


async def test_the_gateway_serves_the_merged_document_of_the_running_services(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert {"/v1/users", "/v1/posts/{post_id}", "/v1/users/{handle}/posts"} <= set(
        document["paths"]
    )
    assert "/v1/posts/misplaced" not in document["paths"]
    assert not any(path.startswith("/internal") for path in document["paths"])
    assert "NewUser" in document["components"]["schemas"]
    assert document["paths"]["/v1/users"]["post"]["security"] == []


async def test_swagger_ui_is_served_for_the_merged_document_from_packaged_assets(
    gateway: httpx.AsyncClient,
) -> None:
    """Issue 23: /docs loaded Swagger UI from a public CDN, without integrity, on the token's
    origin. Now every script and style is the gateway's own, and nothing is inline."""
    page = await gateway.get("/docs")
    init = await gateway.get("/docs/init.js")
    assets = [
        await gateway.get(f"/docs/assets/{name}")
        for name in ("swagger-ui-bundle.js", "swagger-ui.css")
    ]

    assert page.status_code == 200
    assert "swagger-ui" in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    assert init.status_code == 200
    assert "/openapi.json" in init.text
    assert [asset.status_code for asset in assets] == [200, 200]
    assert "script-src 'self'" in page.headers["content-security-policy"]
