"""The posts use cases that change state: what users ask for over HTTP (PostCommands) and
what other services' events cause (EventCommands).

A deleted account's token stays valid at the gateway until its next poll: creating, inviting
and publishing first make sure the caller's account still exists (401 otherwise).

The event handlers are conditional single-document updates per post, idempotent and
tolerant of order: each acts only on a live post and on an entry in the state the event
expects.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from posts import domain, remixing
from posts.domain import Change, Post
from posts.engagement import Engagement
from posts.queries import PostQueries
from posts.remixing import RemixAnswer
from posts.repository import InviteCounterRepository, PostRepository, StoredPost
from posts.schemas import CreatePostRequest, InvitationOut, RemixRequestOut
from posts.settings import PostsSettings
from shared.clock import at_storage_precision, utc_now
from shared.eligibility import EligibilityResult, RemixConsentRequest, RemixRefusal
from shared.events.invitations import (
    InvitationAccepted,
    InvitationCancelled,
    InvitationDeclined,
    InvitationExpired,
    InvitationRevoked,
)
from shared.events.posts import PostDeleted
from shared.events.users import UserBlocked, UserDeleted, UserUnblocked
from shared.internal_http import EligibilityClient
from shared.problems import AccountGone, BadGateway, Problem
from shared.public_post import PostOut
from shared.public_user import PublicUser
from shared.relations import RelationReplica
from shared.subscriptions import Delivery
from shared.user_directory import UserDirectory

type InvitationEnded = (
    InvitationDeclined | InvitationExpired | InvitationRevoked | InvitationCancelled
)


def new_id() -> str:
    return uuid4().hex


@dataclass(frozen=True)
class EligibleInvitee:
    user_id: str
    user: PublicUser | None

    @classmethod
    def of(cls, answer: EligibilityResult) -> "EligibleInvitee":
        user_id = answer.user_id or (answer.user.id if answer.user else None)
        if user_id is None:
            raise BadGateway("The users service called an invitee eligible without naming it.")
        return cls(user_id, answer.user)


class PostCommands:
    def __init__(
        self,
        *,
        settings: PostsSettings,
        posts: PostRepository,
        invite_counters: InviteCounterRepository,
        directory: UserDirectory,
        users: EligibilityClient,
        engagement: Engagement,
        queries: PostQueries,
    ) -> None:
        self._settings = settings
        self._posts = posts
        self._counters = invite_counters
        self._directory = directory
        self._users = users
        self._engagement = engagement
        # Commands answer with what they changed, rendered as the queries render it.
        self._queries = queries

    async def create(self, author_id: str, body: CreatePostRequest) -> PostOut:
        request = domain.validate_new_post(
            body.text,
            body.coauthors,
            max_coauthors=self._settings.max_coauthors,
            max_text_length=self._settings.max_text_length,
        )
        await self._require_live_account(author_id)
        await self._require_features(
            author_id, coauthoring=bool(request.handles), remix=bool(body.remix_of)
        )
        original = await self._original_to_remix(body.remix_of, author_id)
        invitees = await self._eligible_invitees(author_id, request.handles)
        author = await self._author_snapshot(author_id)
        now = utc_now()
        remix_of = await self._remix_link(original, author_id, now) if original else None
        await self._spend_invite_budget(author_id, len(invitees), now)
        change = domain.create_post(
            post_id=new_id(),
            author_id=author_id,
            request=request,
            publish_mode=body.publish_mode,
            invitees=[(invitee.user_id, new_id()) for invitee in invitees],
            now=now,
            remix_of=remix_of,
        )
        if original is not None:
            change = Change(
                change.post, change.events + remixing.creation_events(change.post, original)
            )
        snapshots = [u for u in (author, *(i.user for i in invitees)) if u is not None]
        await self._posts.insert(change, snapshots)
        await self._undo_if_author_deleted_meanwhile(change.post)
        return await self._queries.render(
            StoredPost(change.post, {u.id: u for u in snapshots}), author_id
        )

    async def delete(self, post_id: str, actor_id: str) -> None:
        change = await self._apply(
            post_id, lambda post: domain.delete_post(post, actor_id, utc_now())
        )
        await self._engagement.post_deleted(post_id)
        if change.post.reply_to is not None:
            await self._engagement.settle_reply(post_id)

    async def publish(self, post_id: str, actor_id: str) -> PostOut:
        await self._require_live_account(actor_id)
        change = await self._apply(
            post_id, lambda post: domain.publish_post(post, actor_id, utc_now())
        )
        return await self._queries.render_after(change, actor_id)

    async def invite(self, post_id: str, actor_id: str, handle: str) -> InvitationOut:
        await self._require_live_account(actor_id)
        await self._require_features(actor_id, coauthoring=True)
        domain.require_author((await self._posts.existing(post_id)).post, actor_id)
        (invitee,) = await self._eligible_invitees(
            actor_id, [domain.validate_invitee_handle(handle)]
        )
        now = utc_now()
        await self._spend_invite_budget(actor_id, 1, now)
        invitation_id = new_id()
        try:
            change = await self._apply(
                post_id,
                lambda post: domain.invite_coauthor(
                    post,
                    actor_id,
                    invitee_id=invitee.user_id,
                    invitation_id=invitation_id,
                    max_coauthors=self._settings.max_coauthors,
                    max_invitations=self._settings.max_invitations_per_post,
                    now=now,
                ),
                snapshots=[invitee.user] if invitee.user else [],
            )
        except Problem:
            await self._counters.give_back(actor_id, domain.invite_window(now)[0], 1)
            raise
        stored_after = await self._posts.get(post_id)
        users = await self._queries.users_for(
            stored_after or StoredPost(change.post), [actor_id, invitee.user_id], actor_id
        )
        return InvitationOut(
            id=invitation_id,
            post_id=post_id,
            inviter=users[actor_id],
            invitee=users[invitee.user_id],
            created_at=now,
            expires_at=at_storage_precision(
                now + timedelta(seconds=self._settings.invitation_ttl_seconds)
            ),
        )

    async def remove_coauthor(self, post_id: str, actor_id: str, handle: str) -> None:
        stored = await self._posts.existing(post_id)
        target_id = await self._coauthor_with_handle(stored, handle, actor_id)
        await self._apply(
            post_id,
            lambda post: domain.remove_coauthor(post, actor_id, target_id, utc_now()),
        )

    # -- remixes (issue 13) ----------------------------------------------------------------

    async def answer_remix_request(
        self, request_id: str, actor_id: str, answer: RemixAnswer
    ) -> RemixRequestOut:
        remix = await self._posts.by_remix_request(request_id)
        if remix is None or remix.post.remix_of is None:
            raise domain.RemixRequestNotFound()
        original = await self._posts.get(remix.post.remix_of.original_id)
        actor_may_answer = remixing.may_answer(original.post if original else None, actor_id)
        change = await self._apply(
            remix.post.id,
            lambda post: remixing.answer_request(
                post,
                request_id,
                answer,
                actor_id=actor_id,
                actor_may_answer=actor_may_answer,
                now=utc_now(),
            ),
        )
        answered = await self._posts.get(change.post.id) or StoredPost(change.post)
        (request,) = await self._queries.render_requests([answered], actor_id)
        return request

    async def revoke_remix(self, original_id: str, remix_id: str, actor_id: str) -> None:
        original = domain.require_visible((await self._posts.existing(original_id)).post, actor_id)
        if not remixing.may_answer(original, actor_id):
            raise domain.NotAnOriginalAuthor()
        await self._apply(
            remix_id,
            lambda post: remixing.revoke(post, original_id, actor_id=actor_id, now=utc_now()),
            missing=domain.RemixNotFound,
        )

    async def _require_features(
        self, user_id: str, *, coauthoring: bool = False, remix: bool = False
    ) -> None:
        """Outside a limited test's population, nothing new may be made with the feature."""
        if not (coauthoring or remix):
            return
        features = await self._users.features(user_id)
        if coauthoring and not features.coauthoring:
            raise domain.FeatureUnavailable("coauthoring")
        if remix and not features.remix:
            raise domain.FeatureUnavailable("remix")

    async def _original_to_remix(self, original_id: str | None, remixer_id: str) -> Post | None:
        if original_id is None:
            return None
        original = domain.require_visible(
            (await self._posts.existing(original_id)).post, remixer_id
        )
        if original.status != "published":
            raise domain.InvalidPost("Only a published post can be remixed.")
        return original

    async def _remix_link(self, original: Post, remixer_id: str, now: datetime) -> domain.RemixLink:
        consent = await self._users.remix_consent(
            RemixConsentRequest(
                remixer_id=remixer_id,
                original_author_id=original.author_id,
                original_coauthor_ids=list(original.accepted_ids),
            )
        )
        if consent.reason == RemixRefusal.REMIXER_UNKNOWN:
            raise AccountGone()
        if consent.reason == RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN:
            raise domain.PostNotFound()
        if not consent.allowed:
            raise domain.RemixNotAllowed(consent.reason or "refused")
        manual = consent.approval == "manual"
        return remixing.new_link(original, manual=manual, request_id=new_id(), now=now)

    # -- replies (issue 12) ----------------------------------------------------------------

    async def reply(self, post_id: str, author_id: str, text: str) -> PostOut:
        clean_text = domain.validate_reply_text(
            text, max_text_length=self._settings.max_text_length
        )
        stored = await self._posts.get(post_id)
        parent = domain.require_engageable(stored.post if stored else None, author_id)
        await self._engagement.require_may_reply(parent, author_id)
        await self._require_live_account(author_id)
        author = await self._author_snapshot(author_id)
        reply = domain.new_reply(
            reply_id=new_id(), parent=parent, author_id=author_id, text=clean_text, now=utc_now()
        )
        await self._posts.insert(Change(reply), [author])
        await self._engagement.settle_reply(reply.id)
        return await self._queries.render_after(Change(reply), author_id)

    # -- steps -----------------------------------------------------------------------------

    async def _apply(
        self,
        post_id: str,
        transition: domain.Transition,
        snapshots: Sequence[PublicUser] = (),
        missing: Callable[[], Problem] = domain.PostNotFound,
    ) -> Change:
        change = await self._posts.update(post_id, transition, snapshots)
        if change is None:
            raise missing()
        return change

    async def _eligible_invitees(
        self, inviter_id: str, handles: Sequence[str]
    ) -> list[EligibleInvitee]:
        if not handles:
            return []
        answers = await self._users.by_handles(inviter_id, handles)
        domain.check_invitees([_decision(answer) for answer in answers])
        return [EligibleInvitee.of(answer) for answer in answers]

    async def _spend_invite_budget(self, user_id: str, count: int, now: datetime) -> None:
        if count == 0:
            return
        window_start, seconds_left = domain.invite_window(now)
        total = await self._counters.add(user_id, window_start, count)
        try:
            domain.check_invite_budget(total, self._settings.invites_per_hour, seconds_left)
        except domain.InviteRateLimited:
            await self._counters.give_back(user_id, window_start, count)
            raise

    async def _require_live_account(self, user_id: str) -> None:
        if await self._directory.is_deleted(user_id):
            raise AccountGone()

    async def _undo_if_author_deleted_meanwhile(self, post: Post) -> None:
        """user.deleted may have been handled between the check and the insert, too late to
        find this post: delete it as that handler would have (post.deleted and all).

        The directory's handler writes its tombstone before ours looks for the account's
        posts, and this looks for the tombstone after the insert, so one of the two always
        sees the other.
        """
        if not await self._directory.is_deleted(post.author_id):
            return
        await self._apply(
            post.id,
            lambda current: (
                domain.remove_deleted_account(current, post.author_id, utc_now())
                if current is not None
                else None
            ),
        )
        raise AccountGone()

    async def _author_snapshot(self, author_id: str) -> PublicUser:
        """The author's User, so the post renders even before user.registered arrives here.

        An author the users service does not know is an account deleted since its token
        was issued (or never existed): it may not write.
        """
        known = await self._directory.get(author_id)
        if known is not None:
            return known
        asked = await self._users.by_ids(author_id, [author_id])
        if asked[0].user is None:
            raise AccountGone()
        return asked[0].user

    async def _coauthor_with_handle(
        self, stored: StoredPost, handle: str, caller_id: str
    ) -> str | None:
        """Whom `handle` names among the post's present and former co-authors and the caller.

        The caller is a candidate so that leaving a post one was never on is a 404, not a 403.
        """
        post = stored.post
        candidates = [*(c.user_id for c in post.coauthors), *post.former_coauthor_ids, caller_id]
        users = await self._queries.users_for(stored, candidates, caller_id)
        wanted = handle.strip().lower()
        return next((uid for uid, user in users.items() if user.handle == wanted), None)


class EventCommands:
    """What events change here: invitation answers, deleted accounts, blocks, and this
    service's own post.deleted (a deleted original's remixes)."""

    def __init__(
        self,
        *,
        posts: PostRepository,
        engagement: Engagement,
        blocks: RelationReplica,
        mutes: RelationReplica,
    ) -> None:
        self._posts = posts
        self._engagement = engagement
        self._blocks = blocks
        self._mutes = mutes

    async def invitation_accepted(self, delivery: Delivery[InvitationAccepted]) -> None:
        data = delivery.event
        await self._apply(
            data.post_id,
            lambda post: domain.accept_invitation(
                post, data.invitation_id, data.responded_at, utc_now()
            ),
        )

    async def invitation_ended(self, delivery: Delivery[InvitationEnded]) -> None:
        data = delivery.event
        await self._apply(
            data.post_id,
            lambda post: domain.drop_invitation(post, data.invitation_id, utc_now()),
        )

    async def account_deleted(self, delivery: Delivery[UserDeleted]) -> None:
        """Runs after the user directory has recorded the deletion (see create's undo)."""
        data = delivery.event
        for post_id in await self._posts.ids_involving(data.user_id):
            change = await self._apply(
                post_id,
                lambda post: domain.remove_deleted_account(post, data.user_id, utc_now()),
            )
            if change is not None and change.post.is_deleted:
                await self._engagement.post_deleted(post_id)
        await self._engagement.account_deleted(data.user_id)
        await self._blocks.forget(data.user_id)
        await self._mutes.forget(data.user_id)

    async def user_blocked(self, delivery: Delivery[UserBlocked]) -> None:
        data = delivery.event
        for post_id in await self._posts.ids_between(data.blocker_id, data.blocked_id):
            await self._apply(
                post_id,
                lambda post: domain.separate_blocked_pair(
                    post, data.blocker_id, data.blocked_id, utc_now()
                ),
            )
        if await self._blocks.record(
            data.blocker_id, data.blocked_id, active=True, as_of=data.blocked_at
        ):
            await self._engagement.liker_blocked(data.blocker_id, data.blocked_id)

    async def user_unblocked(self, delivery: Delivery[UserUnblocked]) -> None:
        data = delivery.event
        if await self._blocks.record(
            data.blocker_id, data.blocked_id, active=False, as_of=data.unblocked_at
        ):
            await self._engagement.liker_unblocked(data.blocker_id, data.blocked_id)

    async def original_deleted(self, delivery: Delivery[PostDeleted]) -> None:
        """This service's own event: a deleted original leaves its remixes `removed`."""
        data = delivery.event
        for remix_id in await self._posts.remix_ids_of(data.post_id, ("pending", "approved")):
            await self._apply(remix_id, lambda post: remixing.remove(post, data.post_id, utc_now()))

    async def _apply(self, post_id: str, transition: Callable[[Post], Change]) -> Change | None:
        """A post this service never wrote is nothing to act on: the event is dropped."""
        return await self._posts.update(
            post_id, lambda post: transition(post) if post is not None else None
        )


def _decision(answer: EligibilityResult) -> domain.Eligibility:
    return domain.Eligibility(
        handle=answer.handle, user_id=answer.user_id, eligible=answer.eligible, reason=answer.reason
    )
