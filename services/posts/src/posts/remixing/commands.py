"""The remix use cases that change state: answering a request to remix one's post, revoking a
remix, and (on this service's own post.deleted) leaving a deleted original's remixes removed;
and the steps of creating a remix (the original, and its authors' consent)."""

from dataclasses import dataclass
from datetime import datetime

from posts.core.commands import PostCommands, new_id
from posts.core.repository import PostRepository, StoredPost
from posts.core.rules import InvalidPost, Post, PostNotFound, RemixLink, require_visible
from posts.remixing.queries import RemixingQueries
from posts.remixing.repository import RemixRepository
from posts.remixing.rules import (
    NotAnOriginalAuthor,
    RemixAnswer,
    RemixNotAllowed,
    RemixRequestNotFound,
    answer_request,
    may_answer,
    new_link,
    remove,
    revoke,
)
from posts.remixing.schemas import RemixRequestOut
from shared.clock import utc_now
from shared.eligibility import RemixConsent, RemixConsentRequest, RemixRefusal
from shared.events.posts import PostDeleted
from shared.internal_http import EligibilityClient
from shared.problems import AccountGone
from shared.remote_accounts import is_remote_user_id
from shared.subscriptions import Delivery


@dataclass(frozen=True, slots=True)
class RemixingCommands:
    core: PostCommands
    posts: PostRepository
    remix_links: RemixRepository
    queries: RemixingQueries
    users: EligibilityClient

    async def answer_remix_request(
        self, request_id: str, actor_id: str, answer: RemixAnswer
    ) -> RemixRequestOut:
        remix = await self.remix_links.by_remix_request(request_id)
        if remix is None or remix.post.remix_of is None:
            raise RemixRequestNotFound()
        original = await self.posts.get(remix.post.remix_of.original_id)
        actor_may_answer = may_answer(original.post if original else None, actor_id)
        change = await self.core.apply(
            remix.post.id,
            lambda post: answer_request(
                post,
                request_id,
                answer,
                actor_id=actor_id,
                actor_may_answer=actor_may_answer,
                now=utc_now(),
            ),
        )
        answered = await self.posts.get(change.post.id) or StoredPost(change.post)
        (request,) = await self.queries.render_requests([answered], actor_id)
        return request

    async def revoke_remix(self, original_id: str, remix_id: str, actor_id: str) -> None:
        original = require_visible((await self.posts.existing(original_id)).post, actor_id)
        if not may_answer(original, actor_id):
            raise NotAnOriginalAuthor()
        await self.core.apply(
            remix_id, lambda post: revoke(post, original_id, actor_id=actor_id, now=utc_now())
        )

    async def post_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        """This service's own event: a deleted original leaves its remixes `removed`."""
        original_id = delivery.event.post_id
        for remix_id in await self.remix_links.remix_ids_of(original_id, ("pending", "approved")):
            await self.core.apply_if_present(
                remix_id, lambda post: remove(post, original_id, utc_now())
            )

    async def original_to_remix(self, original_id: str, remixer_id: str) -> Post:
        """The post a new remix builds on: one the remixer sees, published."""
        original = require_visible((await self.posts.existing(original_id)).post, remixer_id)
        if original.status != "published":
            raise InvalidPost("Only a published post can be remixed.")
        return original

    async def link_to(self, original: Post, remixer_id: str, now: datetime) -> RemixLink:
        """A new remix's link to its original, as its authors consent to it (or a refusal). A
        remote post's own server decides (the federation service asks it, FEP-044f): the
        remix waits for its answer, blocks here refusing first."""
        consent = await self.consent_to(original, remixer_id)
        if consent.reason == RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN:
            raise PostNotFound()
        if not consent.allowed:
            raise RemixNotAllowed(consent.reason or "refused")
        manual = consent.approval == "manual" or is_remote_user_id(original.author_id)
        return new_link(original, manual=manual, request_id=new_id(), now=now)

    async def consent_to(self, original: Post, remixer_id: str) -> RemixConsent:
        """What the original's authors' settings say of a remix by `remixer_id` (an account the
        users service does not know is gone, or a remote one not announced yet: retried)."""
        consent = await self.users.remix_consent(
            RemixConsentRequest(
                remixer_id=remixer_id,
                original_author_id=original.author_id,
                original_coauthor_ids=list(original.accepted_ids),
            )
        )
        if consent.reason == RemixRefusal.REMIXER_UNKNOWN:
            raise AccountGone()
        return consent
