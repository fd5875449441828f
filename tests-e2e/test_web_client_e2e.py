"""The web client the gateway serves: it loads, and every API call it makes is a real route."""

import re

import httpx

API_CALL = re.compile(r"""api\("(?P<method>[A-Z]+)", [`"](?P<path>[^`"?]*)""")
STREAM = re.compile(r"EventSource\(`(?P<path>/v1[^`?]*)")
UPLOAD = re.compile(r"""\.open\("(?P<method>[A-Z]+)", "(?P<path>/v1[^"?]*)""")  # XMLHttpRequest
TEMPLATE_PART = re.compile(r"\$\{[^}]*\}")
PATH_PARAMETER = re.compile(r"\{[^}]*\}")


def calls_in(script: str) -> set[tuple[str, str]]:
    """(method, /v1 path) pairs the script sends, with `${...}` standing for any segment."""
    calls = {(m["method"].lower(), "/v1" + m["path"]) for m in API_CALL.finditer(script)}
    calls |= {("get", m["path"]) for m in STREAM.finditer(script)}
    calls |= {(m["method"].lower(), m["path"]) for m in UPLOAD.finditer(script)}
    return {(method, TEMPLATE_PART.sub("{}", path)) for method, path in calls}


def matches(call_path: str, documented: str) -> bool:
    """Segment by segment: a literal must be equal; a parameter on either side fits anything."""
    calls, routes = call_path.split("/"), documented.split("/")
    return len(calls) == len(routes) and all(
        c == r or c == "{}" or PATH_PARAMETER.fullmatch(r)
        for c, r in zip(calls, routes, strict=True)
    )


async def test_the_gateway_serves_the_web_client(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="app.js">' in page.text
    for asset in ("/app.js", "/messages.js", "/style.css"):
        assert (await gateway.get(asset)).status_code == 200
    icon = await gateway.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/")


async def test_every_call_of_the_web_client_is_a_documented_route(
    gateway: httpx.AsyncClient,
) -> None:
    script = (await gateway.get("/app.js")).text
    document = (await gateway.get("/openapi.json")).json()

    calls = calls_in(script)

    assert len(calls) >= 10  # the parser found the client's calls, not nothing
    undocumented = {
        (method, path)
        for method, path in calls
        if not any(
            matches(path, documented) and method in operations
            for documented, operations in document["paths"].items()
        )
    }
    assert undocumented == set()


# What a first visit downloads of the client itself (uncompressed: the gateway sends it as is).
FIRST_LOAD = ("/", "/app.js", "/messages.js", "/style.css", "/favicon.ico")
FIRST_LOAD_BUDGET_BYTES = 150_000


async def test_the_client_first_load_stays_small(gateway: httpx.AsyncClient) -> None:
    sizes = {path: len((await gateway.get(path)).content) for path in FIRST_LOAD}

    assert sum(sizes.values()) <= FIRST_LOAD_BUDGET_BYTES, sizes
