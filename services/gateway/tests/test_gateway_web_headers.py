"""The web client's headers (issue 23): `/` sent no CSP, `frame-ancestors`, `nosniff` or
referrer policy, and rendered inside another site's iframe."""

from services.gateway.tests.conftest import GatewayFactory


async def test_the_web_client_is_served_with_a_strict_policy_and_cannot_be_framed(
    start_gateway: GatewayFactory,
) -> None:
    gateway = await start_gateway()

    page = await gateway.get("/")
    script = await gateway.get("/app.js")
    api = await gateway.get("/v1/nowhere")

    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "img-src 'self' data:;",
        "media-src 'self';",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    for answer in (page, script, api):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
