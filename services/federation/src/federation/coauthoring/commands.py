"""Remote accounts invited to co-author local posts: the invitations service's
`invitation.created` for a remote invitee sends it a signed Invite; the invited actor's Accept
(with its consent stamp) or Reject becomes `federation.remote_invitation_answered`, which the
invitations service applies as the invitee's own answer; a later Delete of that stamp is
`federation.remote_coauthor_left`. Only the invited actor's answer counts, once: a repeated,
late or reordered one finds nothing pending and changes nothing."""

import logging
from dataclasses import dataclass
from typing import Any

from federation.coauthoring.repository import RemoteInvitations
from federation.coauthoring.rules import answer_of, invite_of, note_preview
from federation.core.activities import object_id_of
from federation.core.remote import RemoteActor, RemoteActors
from federation.core.urls import LocalUrls
from federation.delivery.rules import delivery_as
from shared.clock import utc_now
from shared.events.federation import RemoteCoauthorLeft, RemoteInvitationAnswered
from shared.events.invitations import InvitationCreated
from shared.outbox import Outbox
from shared.remote_accounts import is_remote_user_id
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CoauthoringCommands:
    federating: bool
    urls: LocalUrls
    directory: UserDirectory
    actors: RemoteActors
    invitations: RemoteInvitations
    outbox: Outbox

    async def invitation_created(self, delivery: Delivery[InvitationCreated]) -> None:
        created = delivery.event
        if not self.federating or is_remote_user_id(created.inviter_id):
            return
        if not is_remote_user_id(created.invitee_id):
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
