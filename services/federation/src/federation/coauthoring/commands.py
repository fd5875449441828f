"""Co-authoring across servers, both ways.

Sent: the invitations service's `invitation.created` for a remote invitee sends it a signed
Invite; the invited actor's Accept (with its consent stamp) or Reject becomes
`federation.remote_invitation_answered`, which the invitations service applies as the invitee's
own answer; a later Delete of that stamp is `federation.remote_coauthor_left`. Only the invited
actor's answer counts, once: a repeated, late or reordered one finds nothing pending. Closed
here unanswered (revoked, cancelled, expired), or the co-author removed later, the invited
actor's server gets an Undo of the Invite.

Received: an Invite of a local account to a remote author's Note takes the Note in as a remote
post and becomes `federation.remote_coauthor_invited` (the posts service adds the invitation,
the invitations service opens it); our user's accept or decline there sends the Accept (with
the stamp served here) or Reject, as does an Invite their rules refuse; their leaving the post
later sends a Delete of the stamp. The author's Undo of the Invite becomes
`federation.remote_invitation_withdrawn` (the posts service removes the entry)."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.coauthoring.repository import RemoteInvitations
from federation.coauthoring.rules import (
    answer_of,
    invitation_id_of,
    invite_of,
    invite_sent,
    invited_handle,
    invited_note,
    local_invites_remote,
    note_preview,
)
from federation.core.activities import local_delivery, object_id_of
from federation.core.remote import RemoteActor, RemoteActors
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from federation.remote_posts.commands import RemotePostCommands
from shared.clock import utc_now
from shared.events.federation import (
    RemoteCoauthorInvited,
    RemoteCoauthorLeft,
    RemoteInvitationAnswered,
    RemoteInvitationWithdrawn,
)
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationCreated,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import PostCoauthorInvitationRefused, PostCoauthorRemoved
from shared.mongo import Document
from shared.outbox import Outbox
from shared.remote_accounts import is_remote_user_id, remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)

type InvitationClosed = InvitationExpired | InvitationRevoked | InvitationCancelled


@dataclass(frozen=True, slots=True)
class CoauthoringCommands:
    federating: bool
    urls: LocalUrls
    directory: UserDirectory
    actors: RemoteActors
    invitations: RemoteInvitations
    remote_posts: RemotePostCommands
    outbox: Outbox

    # -- sent: a local post's author invites a remote account --------------------------

    async def invitation_created(self, delivery: Delivery[InvitationCreated]) -> None:
        created = delivery.event
        if not (self.federating and local_invites_remote(created)):
            return
        inviter = await self.directory.get(created.inviter_id)
        actor = await self.actors.by_user_id(created.invitee_id)
        if inviter is None or actor is None:
            log.warning("invite of a remote account not sent", extra={"post": created.post_id})
            return
        preview = note_preview(created.post_id, inviter.handle, created.post_text, self.urls)
        invite = invite_of(created.invitation_id, inviter.handle, actor.id, preview)
        invitation = {
            "_id": created.invitation_id,
            "direction": "sent",
            "post_id": created.post_id,
            "inviter_id": created.inviter_id,
            "invitee_id": created.invitee_id,
            "actor_id": actor.id,
            # Its server's shared inbox: the post's Create and Updates go there once too.
            "inbox": actor.delivery_inbox,
            "invite_id": invite["id"],
            "stamp_url": None,
        }
        sent = delivery_as(inviter.id, inviter.handle, actor.delivery_inbox, invite, self.urls)
        with self.outbox.publishing(sent) as events:
            await self.invitations.start(invitation, events)

    async def answered(self, activity: dict[str, Any], sender: RemoteActor) -> None:
        """An Accept or Reject: of one of our Invites, by the actor it was sent to, while no
        answer was taken yet."""
        answer = answer_of(activity, object_id_of(activity))
        if answer is None:
            return
        invitation = await self.invitations.by_invite(sender.id, answer.invite_id)
        if invitation is None or invitation["state"] != "pending":
            return
        now = utc_now()
        told = RemoteInvitationAnswered(
            activity_id=activity.get("id") or answer.invite_id,
            invitation_id=invitation["_id"],
            invitee_id=invitation["invitee_id"],
            accepted=answer.accepted,
            answered_at=now,
        )
        state = "accepted" if answer.accepted else "declined"
        changes = {"state": state, "stamp_url": answer.stamp_url, "answered_at": now}
        with self.outbox.publishing(told) as events:
            await self.invitations.change(invitation, changes, events)

    async def invitation_closed(self, delivery: Delivery[InvitationClosed]) -> None:
        """Expired, revoked or cancelled here while pending: an answer coming later is moot,
        and the invited actor's server is told with an Undo of the Invite we sent."""
        invitation = await self.invitations.get(delivery.event.invitation_id)
        if invitation is None or invitation["state"] != "pending":
            return
        if invitation["direction"] == "sent":
            await self._withdraw(invitation, {"state": "closed"})
        else:
            await self.invitations.change(invitation, {"state": "closed"}, [])

    async def _withdraw(self, invitation: Document, changes: Document) -> None:
        """Our author's Undo of their Invite, sent with the change that records it."""
        inviter = await self.directory.get(invitation["inviter_id"])
        if not self.federating or inviter is None:
            await self.invitations.change(invitation, changes, [])
            return
        invite = invite_sent(inviter.handle, invitation, self.urls)
        await self._send(invitation, inviter.id, inviter.handle, "Undo", invite, changes)

    async def withdrawn(self, delete: dict[str, Any], sender: RemoteActor) -> None:
        """A Delete of a co-author's stamp, by the co-author: they leave the post."""
        stamp_url = object_id_of(delete)
        invitation = await self.invitations.by_stamp(sender.id, stamp_url) if stamp_url else None
        if invitation is None:
            return
        now = utc_now()
        left = RemoteCoauthorLeft(
            activity_id=delete.get("id") or invitation["stamp_url"],
            post_id=invitation["post_id"],
            coauthor_id=invitation["invitee_id"],
            left_at=now,
        )
        with self.outbox.publishing(left) as events:
            await self.invitations.change(invitation, {"state": "left", "left_at": now}, events)

    # -- received: a remote author invites a local account -----------------------------

    async def invited(self, invite: dict[str, Any], sender: RemoteActor) -> None:
        """An Invite of one of our users to co-author the sender's own public Note."""
        note = invited_note(invite)
        handle = invited_handle(invite, self.urls)
        user = await self.directory.by_handle(handle) if handle else None
        invite_id = invite.get("id")
        if note is None or user is None or not isinstance(invite_id, str):
            log.info("Invite not taken", extra={"activity": invite_id})
            return
        post_id = await self.remote_posts.take(note, sender, invite_id)
        now = utc_now()
        told = RemoteCoauthorInvited(
            activity_id=invite_id,
            invitation_id=invitation_id_of(invite_id),
            post_id=post_id,
            author_id=remote_user_id(sender.id),
            invitee_id=user.id,
            invited_at=now,
        )
        invitation = {
            "_id": told.invitation_id,
            "direction": "received",
            "post_id": post_id,
            "note_id": note["id"],
            "inviter_id": told.author_id,
            "invitee_id": user.id,
            "actor_id": sender.id,
            "inbox": sender.delivery_inbox,
            "invite_id": invite_id,
            "stamp_url": None,
        }
        with self.outbox.publishing(told) as events:
            await self.invitations.start(invitation, events)

    async def invite_undone(self, undo: dict[str, Any], sender: RemoteActor) -> None:
        """An Undo of an Invite, by the actor who sent it: pending, our user's invitation is
        closed; accepted, our user is removed from the post and their stamp answers 410."""
        invite_id = object_id_of(undo)
        if invite_id is None:
            return
        invitation = await self.invitations.received_by_invite(sender.id, invite_id)
        if invitation is None or invitation["state"] not in ("pending", "accepted"):
            return
        now = utc_now()
        withdrawn = RemoteInvitationWithdrawn(
            activity_id=undo.get("id") or invitation["invite_id"],
            invitation_id=invitation["_id"],
            post_id=invitation["post_id"],
            author_id=invitation["inviter_id"],
            invitee_id=invitation["invitee_id"],
            withdrawn_at=now,
        )
        pending = invitation["state"] == "pending"
        changes = {"state": "withdrawn"} if pending else {"state": "removed", "removed_at": now}
        with self.outbox.publishing(withdrawn) as events:
            await self.invitations.change(invitation, changes, events)

    async def invitation_accepted(self, delivery: Delivery[InvitationAccepted]) -> None:
        await self._answer(delivery.event.invitation_id, accepted=True)

    async def invitation_declined(self, delivery: Delivery[InvitationDeclined]) -> None:
        await self._answer(delivery.event.invitation_id, accepted=False)

    async def invitation_refused(self, delivery: Delivery[PostCoauthorInvitationRefused]) -> None:
        """The invitee's rules refused it here: the author's server gets the Reject a decline
        sends, no more, so the invitation does not wait there for its expiry."""
        await self._answer(delivery.event.invitation_id, accepted=False)

    async def _answer(self, invitation_id: str, *, accepted: bool) -> None:
        """Our user's answer to a remote Invite, sent once (to a pending one only)."""
        invitation = await self.invitations.received(invitation_id)
        user = await self.directory.get(invitation["invitee_id"]) if invitation else None
        if invitation is None or user is None or invitation["state"] != "pending":
            return
        stamp_url = (
            self.urls.coauthorization(user.handle, invitation["post_id"]) if accepted else None
        )
        # An Accept carries the stamp we serve for it.
        kind, result = ("Accept", {"result": stamp_url}) if accepted else ("Reject", {})
        state = "accepted" if accepted else "declined"
        changes = {"state": state, "stamp_url": stamp_url, "answered_at": utc_now()}
        invite_id = invitation["invite_id"]
        await self._send(invitation, user.id, user.handle, kind, invite_id, changes, **result)

    async def coauthor_removed(self, delivery: Delivery[PostCoauthorRemoved]) -> None:
        """Our user no longer credited on a remote post (left, removed, blocked): their stamp
        answers 410 and the author's server is told with a Delete of it. A remote co-author
        removed from a local post (by its author, a block) is told with an Undo of the Invite
        they accepted (one who left told us first: theirs is no longer accepted here)."""
        removed = delivery.event
        if is_remote_user_id(removed.coauthor_id) and not is_remote_user_id(removed.author_id):
            accepted = await self.invitations.accepted_by(removed.post_id, removed.coauthor_id)
            if accepted is not None:
                await self._withdraw(accepted, {"state": "removed"})
            return
        if not is_remote_user_id(removed.author_id):
            return
        invitation = await self.invitations.consented(removed.post_id, removed.coauthor_id)
        user = await self.directory.get(removed.coauthor_id)
        if invitation is None or user is None or invitation["state"] != "accepted":
            return
        changes = {"state": "left", "left_at": removed.removed_at}
        stamp_url = invitation["stamp_url"]
        await self._send(invitation, user.id, user.handle, "Delete", stamp_url, changes)

    async def _send(
        self,
        invitation: Document,
        user_id: str,
        handle: str,
        kind: str,
        obj: object,
        changes: Document,
        **fields: Any,
    ) -> None:
        """`handle`'s `kind` activity about `obj` to the invitation's other side, sent with the
        change that records it."""
        to = [invitation["actor_id"]]
        sent = local_delivery(
            kind, user_id, handle, obj, invitation["inbox"], self.urls, to=to, **fields
        )
        with self.outbox.publishing(sent) as events:
            await self.invitations.change(invitation, changes, events)
