"""Where a request comes from, by country: only a trusted proxy's word.

A proxy in front of the gateway (a CDN or an ingress with a GeoIP module) names the client's
country in `COUNTRY_HEADER` (e.g. `CF-IPCountry`). The gateway believes it only when the
connection comes from one of `TRUSTED_PROXIES`, and passes it to the services inside its
signed assertion (`ctry`), never as a header a client could have set. Users decide limited
tests by it, never by the country a user declares on their profile.
"""

import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.domain import IpNetwork, is_trusted_peer

# Where the trusted country of a request is kept, for the proxy to sign into its assertion.
COUNTRY_SCOPE_KEY = "copost.country"
_ISO_COUNTRY = re.compile(r"^[A-Z]{2}$")


def trusted_country(peer: str, values: Sequence[str], trusted: Sequence[IpNetwork]) -> str | None:
    """The country a trusted peer names (ISO 3166 alpha-2), or None: from anyone else, or
    anything that is not a country code (a CDN's `XX` or `T1` for unknown or Tor)."""
    if len(values) != 1 or not is_trusted_peer(peer, trusted):
        return None
    country = values[0].strip().upper()
    return country if _ISO_COUNTRY.match(country) and country not in {"XX", "ZZ"} else None


class TrustedCountryMiddleware:
    """Runs before the client address is resolved: it needs the connection's own peer."""

    def __init__(self, app: ASGIApp, header: str, trusted: Sequence[IpNetwork]) -> None:
        self._app = app
        self._header = header.lower().encode("latin-1")
        self._trusted = list(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._header and scope["type"] == "http" and (client := scope.get("client")):
            values = [
                bytes(value).decode("latin-1")
                for name, value in scope.get("headers", [])
                if name == self._header
            ]
            scope[COUNTRY_SCOPE_KEY] = trusted_country(client[0], values, self._trusted)
        await self._app(scope, receive, send)
