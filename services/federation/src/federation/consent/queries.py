"""Serving co-authors' consent stamps: live while the co-author is credited on a published
post, a Tombstone (410) once they left or were removed or the post was deleted. A local
account's consent to a remote post (an Invite it accepted) is served the same way, from the
coauthoring slice's record of it."""

from dataclasses import dataclass
from typing import Any

from federation.coauthoring.repository import RemoteInvitations
from federation.consent.rules import stamp_of, tombstone_of
from federation.core.urls import LocalUrls
from federation.publishing.repository import PublishedNotes
from shared.problems import NotFound
from shared.user_directory import UserDirectory


@dataclass(frozen=True, slots=True)
class ServedStamp:
    document: dict[str, Any]
    gone: bool


@dataclass(frozen=True, slots=True)
class ConsentQueries:
    urls: LocalUrls
    directory: UserDirectory
    notes: PublishedNotes
    remote_invitations: RemoteInvitations

    async def stamp(self, handle: str, post_id: str) -> ServedStamp:
        """404 when the account was never credited on a post published here."""
        user = await self.directory.by_handle(handle)
        if user is not None and (remote := await self._remote_stamp(user.id, handle, post_id)):
            return remote
        stored = await self.notes.get(post_id) if user else None
        credit = stored.post.credit_of(user.id) if user and stored else None
        if user is None or stored is None or credit is None or stored.post.status == "unknown":
            raise NotFound("There is no such co-authorization here.")
        post = stored.post
        if post.public and credit.credited:
            stamp = stamp_of(user.handle, post_id, credit.as_of, credit.label, self.urls)
            return ServedStamp(stamp, gone=False)
        gone_at = post.deleted_at if credit.credited and post.deleted_at else credit.as_of
        return ServedStamp(tombstone_of(user.handle, post_id, gone_at, self.urls), gone=True)

    async def _remote_stamp(self, user_id: str, handle: str, post_id: str) -> ServedStamp | None:
        """Our user's consent to co-author a remote post (None: they never gave one)."""
        consent = await self.remote_invitations.consented(post_id, user_id)
        if consent is None:
            return None
        if consent["state"] == "left":
            return ServedStamp(tombstone_of(handle, post_id, consent["left_at"], self.urls), True)
        accepted_at = consent["answered_at"]
        stamp = stamp_of(handle, post_id, accepted_at, None, self.urls, note=consent["note_id"])
        return ServedStamp(stamp, gone=False)
