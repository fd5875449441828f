"""What a local author sends to ask a remote account to co-author, and what its answer is,
free of I/O.

The ask is an ActivityStreams `Invite` (AS2: "an invitation for the object to the target"):
object the post's Note, target the invited actor. The answer is shaped like FEP-044f's answer
to a QuoteRequest: an `Accept` whose `result` is the consent stamp the co-author's server
serves (their CoauthorAuthorization), or a `Reject`. Consent is withdrawn as FEP-044f revokes a
quote authorization: a `Delete` of that stamp."""

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.core.api import AS_CONTEXT
from federation.core.urls import LocalUrls
from federation.publishing.rules import PUBLIC, html_of
from federation.remote_posts.rules import created_note
from shared.events.invitations import InvitationCreated
from shared.events.posts import PostCoauthorRemoved
from shared.remote_accounts import is_remote_user_id


def local_invites_remote(created: InvitationCreated) -> bool:
    """Whether a local author invited a remote account: the only invitations sent anywhere."""
    return not is_remote_user_id(created.inviter_id) and is_remote_user_id(created.invitee_id)


def remote_side_removed(removed: PostCoauthorRemoved) -> bool:
    """Whether a removed co-authorship spans servers (a remote post or a remote co-author)."""
    return is_remote_user_id(removed.author_id) or is_remote_user_id(removed.coauthor_id)


@dataclass(frozen=True, slots=True)
class Answer:
    """A remote actor's answer to an Invite: accepted with its stamp's URL, or declined."""

    invite_id: str
    accepted: bool
    stamp_url: str | None


def invite_of(
    invitation_id: str, inviter_handle: str, invitee_actor: str, preview: dict[str, Any]
) -> dict[str, Any]:
    """Named after the invitation, so a repeated event sends the same activity."""
    actor = preview["attributedTo"]
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}#invites/{invitation_id}",
        "type": "Invite",
        "actor": actor,
        "object": preview,
        "target": invitee_actor,
        "to": [invitee_actor],
    }


def note_preview(post_id: str, author_handle: str, text: str, urls: LocalUrls) -> dict[str, Any]:
    """The Note as the invitation shows it: a post waiting for its co-authors is not served at
    its id yet (404 until published), so the invited server gets its text with the ask."""
    note_id = urls.post(post_id)
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": urls.actor(author_handle),
        "content": html_of(text),
        "url": note_id,
        "to": [PUBLIC],
    }


def answer_of(activity: dict[str, Any], invite_id: str | None) -> Answer | None:
    """The answer an Accept or Reject gives to the Invite `invite_id` names; an Accept counts
    only with a stamp on its actor's own server (nothing else can be checked later)."""
    if invite_id is None:
        return None
    if activity["type"] == "Reject":
        return Answer(invite_id, accepted=False, stamp_url=None)
    stamp = activity.get("result")
    if isinstance(stamp, dict):
        stamp = stamp.get("id")
    if not isinstance(stamp, str) or not same_server(stamp, activity["actor"]):
        return None
    return Answer(invite_id, accepted=True, stamp_url=stamp)


def invite_sent(inviter_handle: str, invitation: dict[str, Any], urls: LocalUrls) -> dict[str, Any]:
    """The Invite as the author's Undo of it embeds it (as servers expect of an Undo's object):
    pending, revoked, cancelled or expired; accepted, the co-author removed."""
    return {
        "id": invitation["invite_id"],
        "type": "Invite",
        "actor": urls.actor(inviter_handle),
        "target": invitation["actor_id"],
    }


def same_server(url: str, actor: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(actor).netloc.lower()


# -- an Invite received for a local account ----------------------------------------------


def invited_note(invite: dict[str, Any]) -> dict[str, Any] | None:
    """The Note an Invite embeds, when it is a public post of the Invite's actor served from
    that actor's server (so the signed Invite vouches for it as a Create would)."""
    note = created_note({"actor": invite["actor"], "object": invite.get("object")})
    return note if note is not None and same_server(note["id"], invite["actor"]) else None


def invited_handle(invite: dict[str, Any], urls: LocalUrls) -> str | None:
    """The local account an Invite asks (its `target`, by id or embedded)."""
    target = invite.get("target")
    if isinstance(target, dict):
        target = target.get("id")
    return urls.handle_of(target) if isinstance(target, str) else None


def invitation_id_of(invite_id: str) -> str:
    """The invitation's id here, derived from its Invite's, as a remote post's is from its
    Note's: the same Invite is the same invitation."""
    return uuid.uuid5(uuid.NAMESPACE_URL, invite_id).hex
