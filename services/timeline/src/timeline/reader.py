"""The read side of timelines: one page of entries, then one query for their post cards.

A home page is the owner's home entries merged with the profile entries of the owner itself
and of the celebrities it follows (hybrid fan-out); both lists come newest first from one
query each, and the merge
keeps each post once and stays exact across pages (see `domain.merge_timeline_page`).
"""

from collections.abc import Iterable, Mapping

from shared.pagination import Page
from shared.problems import NotFound
from shared.user_directory import PublicUser, UserDirectory
from timeline import domain
from timeline.domain import PostCard, TimelinePage, TimelinePosition
from timeline.repository import EntryRepository, FollowRepository, PostCardRepository
from timeline.schemas import CoauthorOut, PostOut, RemixOfOut


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No such user.")


class TimelineReader:
    def __init__(
        self,
        follows: FollowRepository,
        cards: PostCardRepository,
        entries: EntryRepository,
        directory: UserDirectory,
    ) -> None:
        self._follows = follows
        self._cards = cards
        self._entries = entries
        self._directory = directory

    async def home(self, owner_id: str, limit: int, cursor: str | None) -> Page[PostOut]:
        after = _position(cursor)
        home = await self._entries.home_positions(owner_id, after, limit + 1)
        # The owner's own posts (authored or co-authored) are merged in like a celebrity's.
        merged_in = [owner_id, *await self._follows.followed_celebrities(owner_id)]
        fetch = domain.celebrity_fetch_size(limit, len(merged_in))
        profiles = await self._entries.profile_positions(merged_in, after, fetch)
        return await self._render(domain.merge_timeline_page([home, profiles], limit))

    async def profile(self, handle: str, limit: int, cursor: str | None) -> Page[PostOut]:
        user = await self._directory.by_handle(handle)
        if user is None:
            raise UnknownUser()
        after = _position(cursor)
        positions = await self._entries.profile_positions([user.id], after, limit + 1)
        return await self._render(domain.merge_timeline_page([positions], limit))

    async def _render(self, page: TimelinePage) -> Page[PostOut]:
        cards = await self._cards.published(page.post_ids) if page.post_ids else {}
        originals = await self._originals_shown(cards.values())
        user_ids = [
            uid
            for card in (*cards.values(), *originals.values())
            for uid in card.reaching_authors()
        ]
        users = await self._directory.get_many(user_ids)
        posts = [
            _post(cards[post_id], users, originals) for post_id in page.post_ids if post_id in cards
        ]
        next_cursor = domain.position_to_cursor(page.next_position) if page.next_position else None
        # A post whose author is gone (deleted account, not yet purged) is left out.
        return Page(items=[post for post in posts if post is not None], next_cursor=next_cursor)

    async def _originals_shown(self, cards: Iterable[PostCard]) -> dict[str, PostCard]:
        """The originals approved remixes show: one more query, only when there are some."""
        original_ids = [oid for card in cards if (oid := domain.shows_original(card))]
        return await self._cards.published(original_ids) if original_ids else {}


def _position(cursor: str | None) -> TimelinePosition | None:
    return domain.position_from_cursor(cursor) if cursor else None


def _post(
    card: PostCard,
    users: Mapping[str, PublicUser],
    originals: Mapping[str, PostCard] | None = None,
) -> PostOut | None:
    """`originals`: the cards a remix may show; without them a remix shows only its link."""
    author = users.get(card.author_id or "")
    if author is None or card.created_at is None or card.published_at is None:
        return None
    return PostOut(
        id=card.post_id,
        text=card.text,
        author=author,
        coauthors=[
            CoauthorOut(user=users[coauthor_id])
            for coauthor_id in card.credited_coauthor_ids
            if coauthor_id in users
        ],
        publish_mode=card.publish_mode,
        created_at=card.created_at,
        published_at=card.published_at,
        remix_count=card.remix_count,
        remix_of=_remix_of(card, users, originals),
    )


def _remix_of(
    card: PostCard, users: Mapping[str, PublicUser], originals: Mapping[str, PostCard] | None
) -> RemixOfOut | None:
    if card.remix_of_post_id is None or card.remix_status is None:
        return None
    original_id = domain.shows_original(card)
    original = originals.get(original_id) if originals is not None and original_id else None
    return RemixOfOut(
        post_id=card.remix_of_post_id,
        status=card.remix_status,
        post=_post(original, users) if original is not None else None,
    )
