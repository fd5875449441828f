"""Reading invitations: what a caller may see, rendered with the users it names."""

import logging
from dataclasses import dataclass
from datetime import datetime

from invitations.core.repository import InvitationRecord, InvitationRepository, ListPosition
from invitations.core.rules import Actor, InvitationNotFound, InvitationStatus, actor_of
from invitations.core.schemas import Box, Invitation
from shared.media_client import MediaClient
from shared.pagination import Page, cursor_text, cursor_time, decode_cursor, encode_cursor
from shared.problems import BadGateway, GatewayTimeout, ServiceUnavailable
from shared.public_media import MediaOut, PostMediaIds

# UNKNOWN_USER_HANDLE is shown for a user whose user.registered has not arrived yet.
from shared.public_user import PublicUser
from shared.user_directory import UNKNOWN_USER_HANDLE, UserDirectory

_PARTICIPANT_FIELD = {Box.RECEIVED: "invitee_id", Box.SENT: "inviter_id"}
# The invitations whose participants see the post's media: the invitee deciding ("ask the
# artist to approve it") and the co-author it became; not one declined, revoked or closed.
SHOWS_POST_MEDIA = frozenset({InvitationStatus.PENDING, InvitationStatus.ACCEPTED})

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InvitationQueries:
    repository: InvitationRepository
    directory: UserDirectory
    media: MediaClient

    async def get_for(self, invitation_id: str, user_id: str) -> Invitation:
        record = await self.repository.get(invitation_id)
        if record is None or actor_of(record.facts, user_id) is Actor.STRANGER:
            raise InvitationNotFound()
        [invitation] = await self.render([record])
        return invitation

    async def list_for(
        self,
        user_id: str,
        *,
        box: Box,
        status: InvitationStatus | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Invitation]:
        records = await self.repository.list_page(
            participant_field=_PARTICIPANT_FIELD[box],
            user_id=user_id,
            status=status,
            after=_position(cursor) if cursor else None,
            limit=limit + 1,
        )
        page, more = records[:limit], len(records) > limit
        next_cursor = _cursor_after(page[-1]) if more else None
        return Page(items=await self.render(page), next_cursor=next_cursor)

    async def render(self, records: list[InvitationRecord]) -> list[Invitation]:
        """Users come fresh from the directory, else from the snapshot taken at creation."""
        ids = {user_id for r in records for user_id in (r.inviter_id, r.invitee_id)}
        users = await self.directory.get_many(ids)
        media = await self._post_media(records)

        def user(user_id: str, snapshot: PublicUser | None, record: InvitationRecord) -> PublicUser:
            return users.get(user_id) or snapshot or _unknown_user(user_id, record.created_at)

        return [
            Invitation(
                id=r.id,
                post_id=r.post_id,
                inviter=user(r.inviter_id, r.inviter_snapshot, r),
                invitee=user(r.invitee_id, r.invitee_snapshot, r),
                status=r.status,
                created_at=r.created_at,
                expires_at=r.expires_at,
                responded_at=r.responded_at,
                credit=r.credit,
                post_text=r.post_text,
                post_media=[media[media_id] for media_id in r.post_media_ids if media_id in media]
                if r.status in SHOWS_POST_MEDIA
                else [],
            )
            for r in records
        ]

    async def _post_media(self, records: list[InvitationRecord]) -> dict[str, MediaOut]:
        """The media service's Media objects, with URLs the participants may load (signed
        while the post is pending). Without that service, invitations show no media rather
        than fail."""
        wanted = {
            r.post_id: PostMediaIds(post_id=r.post_id, media_ids=list(r.post_media_ids))
            for r in records
            if r.post_media_ids and r.status in SHOWS_POST_MEDIA
        }
        if not wanted:
            return {}
        try:
            answer = await self.media.previews(list(wanted.values()))
        except (BadGateway, GatewayTimeout, ServiceUnavailable) as exc:
            log.warning("invitations shown without their post's media: %s", exc)
            return {}
        return {medium.id: medium for medium in answer.media}


def _unknown_user(user_id: str, seen_at: datetime) -> PublicUser:
    return PublicUser(id=user_id, handle=UNKNOWN_USER_HANDLE, display_name="", created_at=seen_at)


def _cursor_after(record: InvitationRecord) -> str:
    return encode_cursor({"created_at": record.created_at.isoformat(), "id": record.id})


def _position(cursor: str) -> ListPosition:
    position = decode_cursor(cursor)
    return ListPosition(
        created_at=cursor_time(position, "created_at"),
        invitation_id=cursor_text(position, "id"),
    )
