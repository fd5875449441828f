"""The posts use cases asked for over HTTP: each reads, asks the rules, writes, renders.

Rendering users: a User comes from this service's UserDirectory (kept from user.* events);
when the directory does not know it yet, from the snapshot stored on the post when the user
was first referenced (the eligibility answer for invitees, the directory or users service
for the author); failing both, the users service is asked; a user nobody knows is gone.

A deleted account's token stays valid at the gateway until its next poll: creating, inviting
and publishing first make sure the caller's account still exists (401 otherwise).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

from posts import domain, remixing
from posts.domain import Change, Post
from posts.remixing import RemixAnswer
from posts.repository import InviteCounterRepository, PostRepository, StoredPost
from posts.schemas import (
    CoauthorOut,
    CreatePostRequest,
    InvitationOut,
    PostOut,
    RemixOfOut,
    RemixRequestOut,
)
from posts.settings import PostsSettings
from shared.eligibility import EligibilityResult, RemixConsentRequest, RemixRefusal
from shared.events.posts import RemixStatus
from shared.internal_http import EligibilityClient
from shared.outbox import OutboxRelay
from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.problems import BadGateway, Problem
from shared.relations import RelationReplica
from shared.user_directory import DELETED_USER_HANDLE, PublicUser, UserDirectory

if TYPE_CHECKING:
    from posts.engagement import Engagement


def current_time() -> datetime:
    """Now, at the millisecond precision MongoDB keeps, so stored and announced times agree."""
    return _at_storage_precision(datetime.now(UTC))


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


class PostService:
    def __init__(
        self,
        *,
        settings: PostsSettings,
        posts: PostRepository,
        invite_counters: InviteCounterRepository,
        directory: UserDirectory,
        users: EligibilityClient,
        relay: OutboxRelay,
        engagement: "Engagement",
        hidden_repliers: tuple[RelationReplica, ...] = (),
    ) -> None:
        self._engagement = engagement
        # Whose replies a viewer does not see: the accounts it blocks, and those it mutes.
        self._hidden_repliers = hidden_repliers
        self._settings = settings
        self._posts = posts
        self._counters = invite_counters
        self._directory = directory
        self._users = users
        self._relay = relay

    # -- use cases -------------------------------------------------------------------------

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
        now = current_time()
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
        self._relay.wake()
        await self._undo_if_author_deleted_meanwhile(change.post)
        return await self._render(StoredPost(change.post, {u.id: u for u in snapshots}), author_id)

    async def get(self, post_id: str, viewer_id: str) -> PostOut:
        stored = await self._existing(post_id)
        domain.require_visible(stored.post, viewer_id)
        return await self._render(stored, viewer_id)

    async def delete(self, post_id: str, actor_id: str) -> None:
        change = await self._apply(
            post_id, lambda post: domain.delete_post(post, actor_id, current_time())
        )
        await self._engagement.post_deleted(post_id)
        if change.post.reply_to is not None:
            await self._engagement.settle_reply(post_id)

    async def publish(self, post_id: str, actor_id: str) -> PostOut:
        await self._require_live_account(actor_id)
        change = await self._apply(
            post_id, lambda post: domain.publish_post(post, actor_id, current_time())
        )
        return await self._render_after(change, actor_id)

    async def invite(self, post_id: str, actor_id: str, handle: str) -> InvitationOut:
        await self._require_live_account(actor_id)
        await self._require_features(actor_id, coauthoring=True)
        domain.require_author((await self._existing(post_id)).post, actor_id)
        (invitee,) = await self._eligible_invitees(
            actor_id, [domain.validate_invitee_handle(handle)]
        )
        now = current_time()
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
        users = await self._users_for(
            stored_after or StoredPost(change.post), [actor_id, invitee.user_id], actor_id
        )
        return InvitationOut(
            id=invitation_id,
            post_id=post_id,
            inviter=users[actor_id],
            invitee=users[invitee.user_id],
            created_at=now,
            expires_at=_at_storage_precision(
                now + timedelta(seconds=self._settings.invitation_ttl_seconds)
            ),
        )

    async def remove_coauthor(self, post_id: str, actor_id: str, handle: str) -> None:
        stored = await self._existing(post_id)
        target_id = await self._coauthor_with_handle(stored, handle, actor_id)
        await self._apply(
            post_id,
            lambda post: domain.remove_coauthor(post, actor_id, target_id, current_time()),
        )

    # -- remixes (issue 13) ----------------------------------------------------------------

    async def remixes(
        self, original_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PostOut]:
        domain.require_visible((await self._existing(original_id)).post, viewer_id)
        found = await self._posts.approved_remixes(
            original_id, time_and_id_position(cursor), limit + 1
        )
        page, next_cursor = _one_page(found, limit)
        return Page(items=await self.render_all(page, viewer_id), next_cursor=next_cursor)

    async def remix_requests(
        self, viewer_id: str, status: RemixStatus | None, limit: int, cursor: str | None
    ) -> Page[RemixRequestOut]:
        """Requests to remix the posts the viewer may answer for, waiting or answered."""
        originals = await self._posts.ids_answerable_by(viewer_id)
        found = await self._posts.remix_requests(
            originals, status, time_and_id_position(cursor), limit + 1
        )
        page, next_cursor = _one_page(found, limit)
        return Page(items=await self._render_requests(page, viewer_id), next_cursor=next_cursor)

    async def answer_remix_request(
        self, request_id: str, actor_id: str, answer: RemixAnswer
    ) -> RemixRequestOut:
        remix = await self._posts.by_remix_request(request_id)
        if remix is None or remix.post.remix_of is None:
            raise remixing.RemixRequestNotFound()
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
                now=current_time(),
            ),
        )
        answered = await self._posts.get(change.post.id) or StoredPost(change.post)
        (request,) = await self._render_requests([answered], actor_id)
        return request

    async def revoke_remix(self, original_id: str, remix_id: str, actor_id: str) -> None:
        original = domain.require_visible((await self._existing(original_id)).post, actor_id)
        if not remixing.may_answer(original, actor_id):
            raise remixing.NotAnOriginalAuthor()
        await self._apply(
            remix_id,
            lambda post: remixing.revoke(post, original_id, actor_id=actor_id, now=current_time()),
            missing=remixing.RemixNotFound,
        )

    async def _require_features(
        self, user_id: str, *, coauthoring: bool = False, remix: bool = False
    ) -> None:
        """Outside a limited test's population, nothing new may be made with the feature."""
        if not (coauthoring or remix):
            return
        features = await self._users.features(user_id)
        if coauthoring and not features.coauthoring:
            raise remixing.FeatureUnavailable("coauthoring")
        if remix and not features.remix:
            raise remixing.FeatureUnavailable("remix")

    async def _original_to_remix(self, original_id: str | None, remixer_id: str) -> Post | None:
        if original_id is None:
            return None
        original = domain.require_visible((await self._existing(original_id)).post, remixer_id)
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
            raise domain.AccountGone()
        if consent.reason == RemixRefusal.ORIGINAL_AUTHOR_UNKNOWN:
            raise domain.PostNotFound()
        if not consent.allowed:
            raise remixing.RemixNotAllowed(consent.reason or "refused")
        manual = consent.approval == "manual"
        return remixing.new_link(original, manual=manual, request_id=new_id(), now=now)

    async def _render_requests(
        self, remixes: Sequence[StoredPost], viewer_id: str
    ) -> list[RemixRequestOut]:
        """Requests with their remix and original (when the viewer may see it), in batches."""
        rendered = await self.render_all(remixes, viewer_id)
        links = [remix.post.remix_of for remix in remixes]
        found = await self._posts.many({link.original_id for link in links if link})
        visible = [o for o in found.values() if domain.can_view(o.post, viewer_id)]
        originals = {post.id: post for post in await self.render_all(visible, viewer_id)}
        requests = []
        for remix, link in zip(rendered, links, strict=True):
            assert link is not None
            assert link.request_id is not None
            requests.append(
                RemixRequestOut(
                    id=link.request_id,
                    remix=remix,
                    original=originals.get(link.original_id),
                    status=link.status,
                    created_at=link.requested_at,
                )
            )
        return requests

    async def _originals_shown(
        self, stored_posts: Sequence[StoredPost], viewer_id: str
    ) -> dict[str, PostOut]:
        """The approved originals of these remixes the viewer may see, rendered in one batch
        (an original shows no original of its own)."""
        wanted = [
            s.post.remix_of.original_id
            for s in stored_posts
            if s.post.remix_of is not None and s.post.remix_of.status == "approved"
        ]
        if not wanted:
            return {}
        found = await self._posts.many(wanted)
        visible = [o for o in found.values() if domain.can_view(o.post, viewer_id)]
        rendered = await self.render_all(visible, viewer_id, with_original=False)
        return {post.id: post for post in rendered}

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
            reply_id=new_id(),
            parent=parent,
            author_id=author_id,
            text=clean_text,
            now=current_time(),
        )
        await self._posts.insert(Change(reply), [author])
        await self._engagement.settle_reply(reply.id)
        return await self._render_after(Change(reply), author_id)

    async def replies(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PostOut]:
        stored = await self._posts.get(post_id)
        domain.require_engageable(stored.post if stored else None, viewer_id)
        hidden: set[str] = set()
        for replica in self._hidden_repliers:
            hidden |= await replica.targets_of(viewer_id)
        found = await self._posts.replies_page(
            post_id, hidden_authors=hidden, after=time_and_id_position(cursor), limit=limit + 1
        )
        page, next_cursor = _one_page(found, limit)
        return Page(items=await self.render_all(page, viewer_id), next_cursor=next_cursor)

    async def likers(
        self, post_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PublicUser]:
        liker_ids, next_cursor = await self._engagement.likers_page(
            post_id, viewer_id, limit, cursor
        )
        found = await self._directory.get_many(liker_ids)
        missing = [user_id for user_id in liker_ids if user_id not in found]
        if missing:
            for answer in await self._users.by_ids(viewer_id, missing):
                if answer.user is not None:
                    found[answer.user.id] = answer.user
        items = [found[user_id] for user_id in liker_ids if user_id in found]
        return Page(items=items, next_cursor=next_cursor)

    # -- steps -----------------------------------------------------------------------------

    async def _existing(self, post_id: str) -> StoredPost:
        stored = await self._posts.get(post_id)
        if stored is None:
            raise domain.PostNotFound()
        return stored

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
        if change.events:
            self._relay.wake()
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
            raise domain.AccountGone()

    async def _undo_if_author_deleted_meanwhile(self, post: Post) -> None:
        """user.deleted may have been handled between the check and the insert, too late to
        find this post: delete it as that handler would have (post.deleted and all).

        The handler writes its tombstone before it looks for the account's posts, and this
        looks for the tombstone after the insert, so one of the two always sees the other.
        """
        if not await self._directory.is_deleted(post.author_id):
            return
        await self._apply(
            post.id,
            lambda current: (
                domain.remove_deleted_account(current, post.author_id, current_time())
                if current is not None
                else None
            ),
        )
        raise domain.AccountGone()

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
            raise domain.AccountGone()
        return asked[0].user

    async def _coauthor_with_handle(
        self, stored: StoredPost, handle: str, caller_id: str
    ) -> str | None:
        """Whom `handle` names among the post's present and former co-authors and the caller.

        The caller is a candidate so that leaving a post one was never on is a 404, not a 403.
        """
        post = stored.post
        candidates = [*(c.user_id for c in post.coauthors), *post.former_coauthor_ids, caller_id]
        users = await self._users_for(stored, candidates, caller_id)
        wanted = handle.strip().lower()
        return next((uid for uid, user in users.items() if user.handle == wanted), None)

    # -- rendering -------------------------------------------------------------------------

    async def _render_after(self, change: Change, caller_id: str) -> PostOut:
        stored = await self._posts.get(change.post.id)
        return await self._render(stored or StoredPost(change.post), caller_id)

    async def _render(
        self, stored: StoredPost, caller_id: str, *, with_original: bool = True
    ) -> PostOut:
        (rendered,) = await self.render_all([stored], caller_id, with_original=with_original)
        return rendered

    async def render_all(
        self, stored_posts: Sequence[StoredPost], caller_id: str, *, with_original: bool = True
    ) -> list[PostOut]:
        """Posts with their counts, `liked_by_me` and remix links: a fixed number of queries
        (users, the caller's likes, remix counts, originals), however many posts and likes.
        `with_original`: a remix shows its approved original (whose own link shows none)."""
        post_ids = [s.post.id for s in stored_posts]
        liked = await self._engagement.liked_among(caller_id, post_ids)
        remix_counts = await self._posts.approved_remix_counts(post_ids)
        originals = await self._originals_shown(stored_posts, caller_id) if with_original else {}
        known = await self._directory.get_many(
            uid for s in stored_posts for uid in _user_ids_of(s.post)
        )
        rendered = []
        for stored in stored_posts:
            post = stored.post
            ids = _user_ids_of(post)
            users = {uid: known[uid] for uid in ids if uid in known}
            if len(users) < len(set(ids)):
                users = await self._users_for(stored, ids, caller_id)
            rendered.append(
                PostOut(
                    id=post.id,
                    text=post.text,
                    author=users[post.author_id],
                    coauthors=[
                        CoauthorOut(user=users[c.user_id], status=c.status) for c in post.coauthors
                    ],
                    status="pending" if post.status == "pending" else "published",
                    publish_mode=post.publish_mode,
                    created_at=post.created_at,
                    published_at=post.published_at,
                    like_count=stored.counts.like_count,
                    reply_count=stored.counts.reply_count,
                    liked_by_me=post.id in liked,
                    reply_to=post.reply_to,
                    remix_count=remix_counts.get(post.id, 0),
                    remix_of=_remix_of_out(post.remix_of, originals),
                )
            )
        return rendered

    async def _users_for(
        self, stored: StoredPost, user_ids: Iterable[str], caller_id: str
    ) -> dict[str, PublicUser]:
        wanted = list(dict.fromkeys(user_ids))
        found = await self._directory.get_many(wanted)
        for user_id in wanted:
            if user_id not in found and user_id in stored.snapshots:
                found[user_id] = stored.snapshots[user_id]
        missing = [user_id for user_id in wanted if user_id not in found]
        if missing:
            answers = await self._users.by_ids(caller_id, missing)
            for user_id, answer in zip(missing, answers, strict=True):
                found[user_id] = answer.user or _gone_user(user_id, stored.post.created_at)
        return found


def _at_storage_precision(moment: datetime) -> datetime:
    """Cut to the milliseconds MongoDB keeps, as the invitations service stores this time."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _gone_user(user_id: str, since: datetime) -> PublicUser:
    return PublicUser(id=user_id, handle=DELETED_USER_HANDLE, display_name="", created_at=since)


def _decision(answer: EligibilityResult) -> domain.Eligibility:
    return domain.Eligibility(
        handle=answer.handle, user_id=answer.user_id, eligible=answer.eligible, reason=answer.reason
    )


def _one_page(found: Sequence[StoredPost], limit: int) -> tuple[list[StoredPost], str | None]:
    """The first `limit` of `limit + 1` posts found, and the cursor after them if more exist."""
    page = list(found[:limit])
    last = page[-1].post if len(found) > limit and page else None
    return page, time_and_id_cursor(last.created_at, last.id) if last else None


def _remix_of_out(
    link: domain.RemixLink | None, originals: dict[str, PostOut]
) -> RemixOfOut | None:
    """The original is shown only while approved, and only to whoever may see it."""
    if link is None:
        return None
    shown = originals.get(link.original_id) if link.status == "approved" else None
    return RemixOfOut(post_id=link.original_id, status=link.status, post=shown)


def _user_ids_of(post: Post) -> list[str]:
    return [post.author_id, *(c.user_id for c in post.coauthors)]
