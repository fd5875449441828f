"""The steps every capability's commands take on a post: a transition applied and written with
its events (the outbox), a new post inserted, and the checks on the acting account.

A deleted account's token stays valid at the gateway until its next poll: what creates or
changes a post first makes sure the caller's account still exists (401 otherwise).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from uuid import uuid4

from posts.core.repository import PostRepository
from posts.core.rules import Change, FeatureUnavailable, Post, PostNotFound
from shared.internal_http import EligibilityClient
from shared.mongo import Document
from shared.outbox import Outbox
from shared.problems import AccountGone, Conflict
from shared.public_user import PublicUser
from shared.user_directory import UserDirectory

# Lost races on one post are rare; past this many the caller gets a 409 (or the event a retry).
MAX_WRITE_ATTEMPTS = 5


def new_id() -> str:
    """A new post's, invitation's or remix request's id."""
    return uuid4().hex


@dataclass(frozen=True, slots=True)
class PostCommands:
    posts: PostRepository
    outbox: Outbox
    directory: UserDirectory
    users: EligibilityClient

    async def insert(
        self, change: Change, snapshots: Iterable[PublicUser], *, extra: Document | None = None
    ) -> None:
        with self.outbox.publishing(*change.events) as events:
            await self.posts.insert(change.post, snapshots, events, extra=extra)

    async def apply(
        self,
        post_id: str,
        transition: Callable[[Post | None], Change],
        snapshots: Sequence[PublicUser] = (),
    ) -> Change:
        """Apply `transition` to the post and write it unless someone wrote first (then again).

        The transition decides for a post that does not exist too (it raises its own 404);
        `snapshots`: profiles of accounts the change puts on the post.
        """
        change = await self._apply(post_id, transition, snapshots)
        if change is None:
            raise PostNotFound()
        return change

    async def apply_if_present(
        self, post_id: str, transition: Callable[[Post], Change]
    ) -> Change | None:
        """As `apply`, for an event about a post: one this service never wrote is nothing to
        act on (None)."""
        return await self._apply(
            post_id, lambda post: transition(post) if post is not None else None, ()
        )

    async def _apply(
        self,
        post_id: str,
        transition: Callable[[Post | None], Change | None],
        snapshots: Sequence[PublicUser],
    ) -> Change | None:
        for _ in range(MAX_WRITE_ATTEMPTS):
            stored = await self.posts.get(post_id)
            change = transition(stored.post if stored else None)
            if stored is None or change is None:
                return None
            if change.post == stored.post and not change.events:
                return change
            kept = _snapshots_kept(
                change.post, {**stored.snapshots, **{s.id: s for s in snapshots}}
            )
            with self.outbox.publishing(*change.events) as events:
                written = await self.posts.write(stored.post, change, kept, events)
            if written:
                return change
        raise Conflict("The post was changed concurrently; try again.")

    async def is_account_deleted(self, user_id: str) -> bool:
        return await self.directory.is_deleted(user_id)

    async def require_live_account(self, user_id: str) -> None:
        if await self.is_account_deleted(user_id):
            raise AccountGone()

    async def require_features(
        self, user_id: str, *, coauthoring: bool = False, remix: bool = False
    ) -> None:
        """Outside a limited test's population, nothing new may be made with the feature."""
        if not (coauthoring or remix):
            return
        features = await self.users.features(user_id)
        if coauthoring and not features.coauthoring:
            raise FeatureUnavailable("coauthoring")
        if remix and not features.remix:
            raise FeatureUnavailable("remix")

    async def author_snapshot(self, author_id: str) -> PublicUser:
        """The author's User, so the post renders even before user.registered arrives here.

        An author the users service does not know is an account deleted since its token
        was issued (or never existed): it may not write.
        """
        known = await self.directory.get(author_id)
        if known is not None:
            return known
        asked = await self.users.by_ids(author_id, [author_id])
        if asked[0].user is None:
            raise AccountGone()
        return asked[0].user


def _snapshots_kept(post: Post, snapshots: dict[str, PublicUser]) -> list[PublicUser]:
    """One profile per account still on the post: invited and revoked again and again, an
    account leaves no trail of copies in the document."""
    on_post = {post.author_id, *(coauthor.user_id for coauthor in post.coauthors)}
    return [snapshot for user_id, snapshot in snapshots.items() if user_id in on_post]
