"""Finding a remote actor from its handle, free of I/O: the WebFinger query and its answer."""

from typing import Any
from urllib.parse import urlencode

JRD_ACCEPT = "application/jrd+json, application/json"
_ACTOR_TYPES = frozenset(
    {
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    }
)


def webfinger_url(scheme: str, host: str, username: str) -> str:
    query = urlencode({"resource": f"acct:{username}@{host}"})
    return f"{scheme}://{host}/.well-known/webfinger?{query}"


def actor_link(jrd: dict[str, Any]) -> str | None:
    """The actor URL a WebFinger answer names (its `self` link of an ActivityPub type)."""
    links = jrd.get("links")
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in _ACTOR_TYPES
            and isinstance(link.get("href"), str)
        ):
            href: str = link["href"]
            return href
    return None
