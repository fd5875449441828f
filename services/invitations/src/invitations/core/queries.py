"""Reading invitations: what a caller may see, rendered with the users it names."""

from dataclasses import dataclass
from datetime import datetime

from invitations.core.repository import InvitationRecord, InvitationRepository, ListPosition
from invitations.core.rules import Actor, InvitationNotFound, InvitationStatus, actor_of
from invitations.core.schemas import Box, Invitation
from shared.pagination import Page, cursor_text, cursor_time, decode_cursor, encode_cursor

# UNKNOWN_USER_HANDLE is shown for a user whose user.registered has not arrived yet.
from shared.public_user import PublicUser
from shared.user_directory import UNKNOWN_USER_HANDLE, UserDirectory

_PARTICIPANT_FIELD = {Box.RECEIVED: "invitee_id", Box.SENT: "inviter_id"}


@dataclass(frozen=True, slots=True)
class InvitationQueries:
    repository: InvitationRepository
    directory: UserDirectory

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
            )
            for r in records
        ]


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
