"""Authorized fetch (Mastodon's secure mode), when AUTHORIZED_FETCH is on: a GET of an actor,
a Note, a consent stamp or a collection must be signed by a remote actor, checked as an inbox
checks a POST (its key fetched and cached, its domain not blocked). Off by default, as on
Mastodon: what these routes serve is public."""

from fastapi import Depends, Request

from federation.components import Components
from federation.core.api import received_request


async def require_signed_fetch(request: Request, components: Components) -> None:
    if components.settings.authorized_fetch:
        await components.inbox.signed_fetch(received_request(request, components.urls, b""))


SIGNED_FETCH = [Depends(require_signed_fetch)]
