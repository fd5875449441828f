"""The gateway's rules as pure functions: which service owns a path, who may skip auth, buckets."""

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.services import Backend


@dataclass(frozen=True)
class UpstreamRoute:
    """A path pattern (any method) and the service that answers it."""

    pattern: re.Pattern[str]
    upstream: Backend


def _exactly(template: str) -> re.Pattern[str]:
    """A path template whose `{name}` parts each match one path segment."""
    parts = re.split(r"\{[^/{}]+\}", template)
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in parts) + "/?$")


def _prefix(prefix: str) -> re.Pattern[str]:
    """The prefix itself and everything below it (but not `/v1/postsX`)."""
    return re.compile("^" + re.escape(prefix) + "(?:/.*)?$")


# Order matters: the first match wins, so the specific profile-posts path precedes /v1/users.
ROUTES: tuple[UpstreamRoute, ...] = (
    UpstreamRoute(_exactly("/v1/users/{handle}/posts"), Backend.TIMELINE),
    UpstreamRoute(_prefix("/v1/timeline"), Backend.TIMELINE),
    # Insights are read from the timeline's delivery records.
    UpstreamRoute(_exactly("/v1/posts/{id}/insights"), Backend.TIMELINE),
    UpstreamRoute(_prefix("/v1/users"), Backend.USERS),
    UpstreamRoute(_prefix("/v1/auth"), Backend.USERS),
    UpstreamRoute(_prefix("/v1/me"), Backend.USERS),
    UpstreamRoute(_prefix("/v1/posts"), Backend.POSTS),
    UpstreamRoute(_prefix("/v1/invitations"), Backend.INVITATIONS),
    UpstreamRoute(_prefix("/v1/notifications"), Backend.NOTIFICATIONS),
    UpstreamRoute(_prefix("/v1/remix-requests"), Backend.POSTS),
    UpstreamRoute(_prefix("/v1/media"), Backend.MEDIA),
    UpstreamRoute(_exactly("/media/{id}/{variant}"), Backend.MEDIA),
)

# Every path under it is forwarded to the service that owns it.
PUBLIC_API_PREFIX = "/v1/"
# Media files: read by anyone (browsers load them in <img>, without a token); the media
# service serves public ones and, for the rest, only signed URLs.
MEDIA_FILES_PREFIX = "/media/"
MEDIA_FILES_METHODS = frozenset({"GET", "HEAD"})
# The one route whose bodies are files, not small JSON documents.
UPLOAD_ENDPOINT = ("POST", "/v1/media")

PUBLIC_ENDPOINTS: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/v1/users"), ("POST", "/v1/auth/token"), ("POST", "/v1/auth/refresh")}
)

# The search of accounts by handle prefix: rate-limited on its own (gateway.api).
USER_SEARCH_ENDPOINT = ("GET", "/v1/users")

# EventSource cannot set headers, so this one route may carry the token in the query.
QUERY_TOKEN_ENDPOINT = ("GET", "/v1/notifications/stream")
QUERY_TOKEN_PARAMETER = "access_token"  # noqa: S105 - a parameter name, not a secret

# Routes whose answers are long-lived streams: no read timeout applies to them.
STREAMING_ENDPOINTS: frozenset[tuple[str, str]] = frozenset({QUERY_TOKEN_ENDPOINT})


def _normalized(path: str) -> str:
    return path.rstrip("/") or "/"


def has_dot_segments(path: str) -> bool:
    """`..` would be resolved by the HTTP client and could reach a service's internal routes."""
    return any(segment in {".", ".."} for segment in path.split("/"))


def upstream_for(path: str) -> Backend | None:
    """The service that answers `path`, or None when no public route matches."""
    if has_dot_segments(path):
        return None
    for route in ROUTES:
        if route.pattern.match(path):
            return route.upstream
    return None


def is_public(method: str, path: str) -> bool:
    if path.startswith(MEDIA_FILES_PREFIX):
        return method.upper() in MEDIA_FILES_METHODS
    return (method.upper(), _normalized(path)) in PUBLIC_ENDPOINTS


def is_forwarded(path: str) -> bool:
    """Whether the gateway forwards this path itself (the rest is its own: docs, web client)."""
    return path.startswith((PUBLIC_API_PREFIX, MEDIA_FILES_PREFIX))


def is_proxied(method: str, path: str) -> bool:
    """Whether the public API middleware forwards this request: the data export is forwarded
    by a route of the gateway's own."""
    return is_forwarded(path) and not is_data_export(method, path)


def is_upload(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) == UPLOAD_ENDPOINT


# Answered by the gateway itself (it gathers from every service), not forwarded.
DATA_EXPORT_ENDPOINT = ("GET", "/v1/me/export")


# ActivityPub media types a remote server asks an actor for (either means the same document).
ACTIVITY_MEDIA_TYPES = ("application/activity+json", "application/ld+json")


def asks_for_activity(accept: str | None) -> bool:
    """Whether an `Accept` header asks for ActivityPub JSON rather than a page."""
    if not accept:
        return False
    kinds = (part.split(";", 1)[0].strip().lower() for part in accept.split(","))
    return any(kind in ACTIVITY_MEDIA_TYPES for kind in kinds)


def is_data_export(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) == DATA_EXPORT_ENDPOINT


def is_user_search(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) == USER_SEARCH_ENDPOINT


def is_account_deletion(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) == ("DELETE", "/v1/me")


def accepts_query_token(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) == QUERY_TOKEN_ENDPOINT


def is_streaming(method: str, path: str) -> bool:
    return (method.upper(), _normalized(path)) in STREAMING_ENDPOINTS


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

# Never passed on to a service: the gateway sets them itself, or they describe the client
# connection (the body is re-sent whole, the identity comes from the verified token).
_REQUEST_HEADERS_NOT_FORWARDED = HOP_BY_HOP_HEADERS | {
    "host",
    "authorization",
    "content-length",
    "accept-encoding",
    "cookie",
    "x-copost-user-id",
    "x-copost-assertion",
    "x-request-id",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "forwarded",
}

# The only cookies a service is sent, both set by the users service for /v1/auth: the
# sign-in's device cookie and the session's refresh token.
FORWARDED_COOKIES = frozenset({"copost_device", "copost_refresh"})

# The gateway's own server adds these; a copy from the service would duplicate them.
_RESPONSE_HEADERS_NOT_RETURNED = HOP_BY_HOP_HEADERS | {"date", "server", "x-request-id"}


def _connection_listed(headers: list[tuple[str, str]]) -> set[str]:
    """Headers named in `Connection` are hop-by-hop too (RFC 9110 section 7.6.1)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }


def forwarded_request_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    dropped = _REQUEST_HEADERS_NOT_FORWARDED | _connection_listed(headers)
    kept = [(name, value) for name, value in headers if name.lower() not in dropped]
    cookies = [
        pair.strip()
        for name, value in headers
        if name.lower() == "cookie"
        for pair in value.split(";")
        if pair.partition("=")[0].strip() in FORWARDED_COOKIES
    ]
    if cookies:
        kept.append(("cookie", "; ".join(cookies)))
    return kept


def returned_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    dropped = _RESPONSE_HEADERS_NOT_RETURNED | _connection_listed(headers)
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def is_json_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


type IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> list[IpNetwork]:
    """Addresses or CIDR blocks, e.g. ["10.0.0.0/8", "192.0.2.7"]."""
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def is_trusted_peer(address: str, trusted: Sequence[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def address_key(address: str) -> str:
    """Whom a client address stands for in limits: an IPv6 address's /64 (what one household
    or host is given: counting its addresses one by one would give it endless keys), an IPv4
    address itself."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[IpNetwork]) -> str:
    """The address a request comes from, for limits and logs.

    The connection's peer, unless the peer is one of the configured proxies: then the
    nearest X-Forwarded-For hop that is not itself a trusted proxy. Hops further left were
    written by the client and are never believed. No trusted proxies: always the peer.
    """
    if not is_trusted_peer(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_peer(hop, trusted):
            return hop
    return hops[0] if hops else peer
