"""The documents that make a local user discoverable: a WebFinger answer and a Person."""

import re
from typing import Any

from federation.core.api import AS_CONTEXT, SECURITY_CONTEXT
from federation.core.urls import LocalUrls
from shared.public_user import PublicUser

_ACCT = re.compile(r"^acct:@?([^@\s/]+)@([^@\s/]+)$")


class MalformedResource(ValueError):
    """The `resource` of a WebFinger query is neither `acct:handle@domain` nor an actor URL."""


def requested_handle(resource: str, urls: LocalUrls) -> str | None:
    """The local handle a WebFinger resource names; None when it names another server.

    Raises MalformedResource for what is neither an `acct:` URI nor an `https:` URL."""
    if match := _ACCT.match(resource):
        handle, domain = match.groups()
        return handle.lower() if domain.lower() == urls.domain.lower() else None
    if resource.startswith(("https://", "http://")):
        return urls.handle_of(resource)
    raise MalformedResource(resource)


def names_instance_actor(resource: str, urls: LocalUrls) -> bool:
    """Whether a WebFinger resource names the instance actor: `acct:<domain>@<domain>` (as
    Mastodon and GoToSocial name theirs) or its URL."""
    domain = urls.domain.lower()
    return resource.lower() in {f"acct:{domain}@{domain}", urls.instance_actor.lower()}


def instance_webfinger_document(urls: LocalUrls) -> dict[str, Any]:
    actor = urls.instance_actor
    return {
        "subject": f"acct:{urls.domain}@{urls.domain}",
        "aliases": [actor],
        "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
    }


def instance_actor_document(public_pem: str, urls: LocalUrls) -> dict[str, Any]:
    """The instance's Application actor: its key signs this service's fetches. Its inbox is the
    shared inbox; it follows no one and no one follows it."""
    actor = urls.instance_actor
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": actor,
        "type": "Application",
        "preferredUsername": urls.domain,
        "url": actor,
        "inbox": urls.shared_inbox,
        "manuallyApprovesFollowers": True,
        "publicKey": {"id": urls.instance_key_id, "owner": actor, "publicKeyPem": public_pem},
        "endpoints": {"sharedInbox": urls.shared_inbox},
    }


def webfinger_document(user: PublicUser, urls: LocalUrls) -> dict[str, Any]:
    actor = urls.actor(user.handle)
    return {
        "subject": f"acct:{user.handle}@{urls.domain}",
        "aliases": [actor],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor},
        ],
    }


def person_document(user: PublicUser, public_pem: str, urls: LocalUrls) -> dict[str, Any]:
    actor = urls.actor(user.handle)
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT],
        "id": actor,
        "type": "Person",
        "preferredUsername": user.handle,
        "name": user.display_name,
        "url": actor,
        "published": user.created_at.isoformat().replace("+00:00", "Z"),
        "inbox": urls.inbox(user.handle),
        "outbox": urls.outbox(user.handle),
        "followers": urls.followers(user.handle),
        "following": urls.following(user.handle),
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {"id": urls.key_id(user.handle), "owner": actor, "publicKeyPem": public_pem},
        "endpoints": {"sharedInbox": urls.shared_inbox},
    }
