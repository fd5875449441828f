"""Reading posts, and rendering them for every answer (whatever capability answers).

A post is rendered with what each capability adds to it: its counts, whether the caller likes
it (engagement), its approved remixes and the original it remixes (remixing), a fixed number of
queries however many posts. A User comes from this service's UserDirectory (kept from user.*
events); when the directory does not know it yet, from the snapshot stored on the post when the
user was first referenced (the eligibility answer for invitees, the directory or users service
for the author); failing both, the users service is asked; a user nobody knows is gone. A
pending post's media are signed for its viewer by the media service, once per answer.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from posts.core.repository import PostRepository, StoredPost
from posts.core.rules import Change, Post, PostNotFound, RemixLink, can_view, require_visible
from posts.engagement.repository import LikeRepository
from posts.media.client import PendingMediaUrls, media_out
from posts.remixing.repository import RemixRepository
from shared.internal_http import EligibilityClient
from shared.pagination import time_and_id_cursor
from shared.public_media import MediaOut
from shared.public_post import CoauthorOut, PostOut, RemixOfOut
from shared.public_user import PublicUser
from shared.relations import BlockGuard
from shared.user_directory import DELETED_USER_HANDLE, UserDirectory


@dataclass(frozen=True, slots=True)
class PostQueries:
    posts: PostRepository
    remix_links: RemixRepository
    likes: LikeRepository
    directory: UserDirectory
    users: EligibilityClient
    blocks: BlockGuard
    pending_media: PendingMediaUrls

    async def get(self, post_id: str, viewer_id: str) -> PostOut:
        stored = await self.posts.existing(post_id)
        await self.require_seen_by(stored.post, viewer_id)
        return await self.render(stored, viewer_id)

    async def require_seen_by(self, post: Post | None, viewer_id: str) -> Post:
        """`require_visible`, and no credited author blocks the viewer: to a blocked account a
        blocker's post is not there (404), from the moment the block call returned."""
        visible = require_visible(post, viewer_id)
        if await self.blockers_of(visible, viewer_id):
            raise PostNotFound()
        return visible

    async def blockers_of(self, post: Post, user_id: str) -> set[str]:
        """The post's credited authors who block `user_id` now (asked of the users service)."""
        return await self.blocks.blockers_among((post.author_id, *post.accepted_ids), user_id)

    async def render_after(self, change: Change, caller_id: str) -> PostOut:
        """The post as stored after `change` (or as the change left it, if gone since)."""
        stored = await self.posts.get(change.post.id)
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
        (users, the caller's likes, remix counts, originals, a pending post's signed media),
        however many posts and likes.
        `with_original`: a remix shows its approved original (whose own link shows none)."""
        originals = await self._originals_seen(stored_posts, caller_id) if with_original else []
        signed = await self.pending_media.signed_for(
            [s.post for s in (*stored_posts, *originals)], caller_id
        )
        return await self._render_all(stored_posts, caller_id, originals, signed)

    async def _render_all(
        self,
        stored_posts: Sequence[StoredPost],
        caller_id: str,
        originals_seen: Sequence[StoredPost],
        signed: dict[str, MediaOut],
    ) -> list[PostOut]:
        post_ids = [s.post.id for s in stored_posts]
        liked = await self.likes.liked_among(caller_id, post_ids)
        remix_counts = await self.remix_links.approved_remix_counts(post_ids)
        originals = (
            {
                post.id: post
                for post in await self._render_all(originals_seen, caller_id, [], signed)
            }
            if originals_seen
            else {}
        )
        known = await self.directory.get_many(
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
                        CoauthorOut(user=users[c.user_id], status=c.status, credit=c.credit)
                        for c in post.coauthors
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
                    media=media_out(post, signed),
                    version=post.content_version,
                    edited_at=post.edited_at,
                    content_warning=stored.remote.content_warning,
                    remote_media=list(stored.remote.media),
                )
            )
        return rendered

    async def users_for(
        self, stored: StoredPost, user_ids: Iterable[str], caller_id: str
    ) -> dict[str, PublicUser]:
        """The users of these ids: from the directory, else the post's snapshots, else the
        users service; one nobody knows is rendered as gone."""
        wanted = list(dict.fromkeys(user_ids))
        found = await self.directory.get_many(wanted)
        for user_id in wanted:
            if user_id not in found and user_id in stored.snapshots:
                found[user_id] = stored.snapshots[user_id]
        missing = [user_id for user_id in wanted if user_id not in found]
        if missing:
            answers = await self.users.by_ids(caller_id, missing)
            for user_id, answer in zip(missing, answers, strict=True):
                found[user_id] = answer.user or _gone_user(user_id, stored.post.created_at)
        return found

    async def _originals_seen(
        self, stored_posts: Sequence[StoredPost], viewer_id: str
    ) -> list[StoredPost]:
        """The approved originals of these remixes the viewer may see (rendered in the same
        batch, each showing no original of its own)."""
        wanted = [
            s.post.remix_of.original_id
            for s in stored_posts
            if s.post.remix_of is not None and s.post.remix_of.status == "approved"
        ]
        if not wanted:
            return []
        found = await self.posts.many(wanted)
        return [o for o in found.values() if can_view(o.post, viewer_id)]


def _gone_user(user_id: str, since: datetime) -> PublicUser:
    return PublicUser(id=user_id, handle=DELETED_USER_HANDLE, display_name="", created_at=since)


def one_page(found: Sequence[StoredPost], limit: int) -> tuple[list[StoredPost], str | None]:
    """The first `limit` of `limit + 1` posts found, and the cursor after them if more exist."""
    page = list(found[:limit])
    last = page[-1].post if len(found) > limit and page else None
    return page, time_and_id_cursor(last.created_at, last.id) if last else None


def _remix_of_out(link: RemixLink | None, originals: dict[str, PostOut]) -> RemixOfOut | None:
    """The original is shown only while approved, and only to whoever may see it."""
    if link is None:
        return None
    shown = originals.get(link.original_id) if link.status == "approved" else None
    return RemixOfOut(post_id=link.original_id, status=link.status, post=shown)


def _user_ids_of(post: Post) -> list[str]:
    return [post.author_id, *(c.user_id for c in post.coauthors)]
