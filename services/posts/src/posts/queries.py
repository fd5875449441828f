"""The posts use cases that only read, and rendering posts for every answer.

Rendering users: a User comes from this service's UserDirectory (kept from user.* events);
when the directory does not know it yet, from the snapshot stored on the post when the user
was first referenced (the eligibility answer for invitees, the directory or users service
for the author); failing both, the users service is asked; a user nobody knows is gone.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from posts import domain
from posts.domain import Change, Post
from posts.engagement import Engagement
from posts.repository import PostRepository, StoredPost
from posts.schemas import RemixRequestOut
from shared.events.posts import RemixStatus
from shared.internal_http import EligibilityClient
from shared.pagination import Page, time_and_id_cursor, time_and_id_position
from shared.public_post import CoauthorOut, PostOut, RemixOfOut
from shared.public_user import PublicUser
from shared.relations import RelationReplica
from shared.user_directory import DELETED_USER_HANDLE, UserDirectory


class PostQueries:
    def __init__(
        self,
        *,
        posts: PostRepository,
        directory: UserDirectory,
        users: EligibilityClient,
        engagement: Engagement,
        hidden_repliers: tuple[RelationReplica, ...] = (),
    ) -> None:
        self._posts = posts
        self._directory = directory
        self._users = users
        self._engagement = engagement
        # Whose replies a viewer does not see: the accounts it blocks, and those it mutes.
        self._hidden_repliers = hidden_repliers

    async def get(self, post_id: str, viewer_id: str) -> PostOut:
        stored = await self._posts.existing(post_id)
        domain.require_visible(stored.post, viewer_id)
        return await self.render(stored, viewer_id)

    # -- remixes (issue 13) ----------------------------------------------------------------

    async def remixes(
        self, original_id: str, viewer_id: str, limit: int, cursor: str | None
    ) -> Page[PostOut]:
        domain.require_visible((await self._posts.existing(original_id)).post, viewer_id)
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
        return Page(items=await self.render_requests(page, viewer_id), next_cursor=next_cursor)

    # -- replies and likes (issue 12) ------------------------------------------------------

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

    # -- rendering -------------------------------------------------------------------------

    async def render_after(self, change: Change, caller_id: str) -> PostOut:
        """The post as stored after `change` (or as the change left it, if gone since)."""
        stored = await self._posts.get(change.post.id)
        return await self.render(stored or StoredPost(change.post), caller_id)

    async def render(
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
                users = await self.users_for(stored, ids, caller_id)
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

    async def render_requests(
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

    async def users_for(
        self, stored: StoredPost, user_ids: Iterable[str], caller_id: str
    ) -> dict[str, PublicUser]:
        """The users of these ids: from the directory, else the post's snapshots, else the
        users service; one nobody knows is rendered as gone."""
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


def _gone_user(user_id: str, since: datetime) -> PublicUser:
    return PublicUser(id=user_id, handle=DELETED_USER_HANDLE, display_name="", created_at=since)


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
