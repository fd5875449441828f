"""Reading timelines: one page of entries, then one query for their post cards.

A home page is the owner's home feed merged with the profile feeds of the owner itself and of
the celebrities it follows (hybrid fan-out); the feeds come newest first from Redis (a feed it
lacks from MongoDB), in the round trip of the reader's mutes, likes and followed celebrities
when those are the celebrities of its last read, and the merge keeps each post once and stays
exact across pages (see `merge_timeline_page`). The cards and their profiles are one more.
"""

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from shared.public_post import CoauthorOut, PostOut, RemixOfOut
from shared.public_user import PublicUser
from shared.read_cache import PipelinedRead, ValuesPeek, peek, read_sets, read_values_together
from shared.relations import BlockGuard, RelationReplica
from shared.user_directory import UserDirectory
from timeline.core.feed_cache import Feed, FeedPagesRead
from timeline.core.repository import PostCardRepository
from timeline.core.rules import PostCard, TimelinePosition, shows_original
from timeline.engagement.repository import LikeRepository
from timeline.fanout.repository import EntryRepository, FollowRepository
from timeline.reads.rules import (
    TimelinePage,
    UnknownUser,
    merge_timeline_page,
    position_from_cursor,
    position_to_cursor,
)

# A home page whose posts are mostly muted is topped up from the next ones this many times
# at most (then it is shorter, with a cursor to go on).
MAX_MUTED_PAGE_ROUNDS = 3
# Posts kept rendered (see `RenderedPosts`): a few pages' worth for each of many readers.
RENDERED_POSTS_KEPT = 4096
# Readers whose last home read is remembered (see `TimelineQueries.home`).
READERS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page of posts (`Page[PostOut]`) as it is sent: each post's JSON, then the cursor."""

    items: list[bytes]
    next_cursor: str | None

    def json(self) -> bytes:
        """The bytes `Page[PostOut]`'s `model_dump_json` gives (a test compares them)."""
        cursor = b"null" if self.next_cursor is None else json.dumps(self.next_cursor).encode()
        return b'{"items":[' + b",".join(self.items) + b'],"next_cursor":' + cursor + b"}"


class RenderedPosts:
    """Each post's JSON, made once per card, profiles and original it shows and per
    `liked_by_me`, so a warm page renders nothing.

    Keyed by those objects' identity: the read caches hand out one object per stored value
    (`shared.read_cache.CachedValues`), and a changed card or profile is stored anew, so it is
    a new object and a new key. Each entry keeps its objects alive, so no identity is reused
    while it is kept. Values read from MongoDB (Redis away) are new objects at every read:
    they are rendered every time, which is correct, only slower.
    """

    def __init__(self, capacity: int = RENDERED_POSTS_KEPT) -> None:
        self._capacity = capacity
        self._rendered: dict[tuple[object, ...], tuple[tuple[object, ...], bytes | None]] = {}
        self._shown_users: dict[str, list[str]] = {}

    def users_last_shown(self, post_ids: Iterable[str]) -> list[str]:
        """Whose profiles these posts showed when last rendered: read with their cards, in the
        same round trip, before the cards tell (a post's credits seldom change)."""
        return [uid for post_id in post_ids for uid in self._shown_users.get(post_id, ())]

    def post(
        self,
        card: PostCard,
        users: Mapping[str, PublicUser],
        originals: Mapping[str, PostCard],
        liked_by_me: bool,
    ) -> bytes | None:
        original = originals.get(shows_original(card) or "")
        user_ids = _shown_user_ids(card, original)
        shown = (card, original, *(users.get(uid) for uid in user_ids))
        key = (liked_by_me, *map(id, shown))
        found = self._rendered.get(key)
        if found is not None:
            return found[1]
        post = _post(card, users, originals, liked_by_me)
        rendered = post.model_dump_json(by_alias=True).encode() if post is not None else None
        if len(self._rendered) >= self._capacity:
            self._rendered.clear()
            self._shown_users.clear()
        self._rendered[key] = (shown, rendered)
        self._shown_users[card.post_id] = user_ids
        return rendered


@dataclass(frozen=True, slots=True)
class LastHomeRead:
    """What a reader's last home read needed: the celebrities it followed, and its first
    round's page (the cursor it was read after, the posts on it)."""

    celebrities: Collection[str] = ()
    cursor: str | None = None
    post_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TimelineQueries:
    follows: FollowRepository
    cards: PostCardRepository
    entries: EntryRepository
    directory: UserDirectory
    likes: LikeRepository | None = None
    mutes: RelationReplica | None = None
    # Who blocks a profile's viewer now: the profile and its posts are not there for them.
    blocks: BlockGuard | None = None
    rendered: RenderedPosts = field(default_factory=RenderedPosts)
    # What each reader's last home read needed (see `home`).
    last_home_reads: dict[str, "LastHomeRead"] = field(default_factory=dict)

    async def home(self, owner_id: str, limit: int, cursor: str | None) -> RenderedPage:
        """Posts co-authored by an account the owner mutes are left out.

        What the owner's last read needed goes in the round trip of the reader's sets: the
        feeds (its own, and those of the celebrities it followed then) and, for the same
        cursor, the cards and profiles of that page. Its celebrities are in those sets: a feed
        they add is read after them, one they drop is not merged; a card or a profile the page
        needs and the peek did not find is read as usual."""
        last = self.last_home_reads.get(owner_id, LastHomeRead())
        last_posts = last.post_ids if last.cursor == cursor else ()
        feeds_read = await self.entries.pages_read(
            _home_feeds(owner_id, last.celebrities), _position(cursor), limit + 1
        )
        peeked = (
            await peek(self.cards.published_read(last_posts)),
            await peek(self.directory.profiles_read(self.rendered.users_last_shown(last_posts))),
        )
        alongside = [read for read in (feeds_read, *peeked) if read is not None]
        celebrities, muted, liked = await self._reader_sets(
            owner_id, with_celebrities=True, alongside=alongside
        )
        items: list[bytes] = []
        for round_number in range(MAX_MUTED_PAGE_ROUNDS):
            page = await self._home_page(
                owner_id, celebrities, limit - len(items), cursor, feeds_read
            )
            if round_number == 0:
                self._remember(owner_id, LastHomeRead(celebrities, cursor, page.post_ids))
            rendered = await self._render(page, liked, muted, peeked=peeked)
            feeds_read, peeked = None, (None, None)
            items += rendered.items
            cursor = rendered.next_cursor
            if len(items) >= limit or cursor is None:
                break
        return RenderedPage(items, cursor)

    def _remember(self, owner_id: str, read: LastHomeRead) -> None:
        if len(self.last_home_reads) >= READERS_KEPT:
            self.last_home_reads.clear()
        self.last_home_reads[owner_id] = read

    async def _reader_sets(
        self,
        reader_id: str,
        *,
        with_celebrities: bool,
        alongside: Sequence[PipelinedRead] = (),
    ) -> tuple[set[str], set[str], set[str]]:
        """The celebrities the reader follows (if asked), whom it mutes and the posts it
        likes: one round trip to Redis when it holds them (`alongside` too)."""
        wanted = {
            "celebrities": self.follows.followed_celebrities(reader_id)
            if with_celebrities
            else None,
            "muted": self.mutes.targets_read(reader_id) if self.mutes else None,
            "liked": self.likes.liked_by(reader_id) if self.likes and reader_id else None,
        }
        reads = [read for read in wanted.values() if read is not None]
        found = iter(await read_sets(reads, alongside))
        celebrities, muted, liked = (
            next(found) if read is not None else set() for read in wanted.values()
        )
        return celebrities, muted, liked

    async def _home_page(
        self,
        owner_id: str,
        celebrities: set[str],
        limit: int,
        cursor: str | None,
        read_before: FeedPagesRead | None,
    ) -> TimelinePage:
        """Each feed gives `limit + 1` distinct posts, so the merge is exact; `read_before`:
        pages of some of the feeds, read from Redis already."""
        feeds = _home_feeds(owner_id, celebrities)
        pages = await self.entries.feed_pages(
            feeds, _position(cursor), limit + 1, read_before=read_before
        )
        return merge_timeline_page(pages, limit)

    async def profile(
        self, handle: str, limit: int, cursor: str | None, viewer_id: str = ""
    ) -> RenderedPage:
        """A profile whose owner blocks the viewer is not there (404); on another's profile,
        the posts co-authored by an account that blocks the viewer are left out."""
        user = await self.directory.by_handle(handle)
        if user is None:
            raise UnknownUser()
        pages = await self.entries.feed_pages([("profile", user.id)], _position(cursor), limit + 1)
        page = merge_timeline_page(pages, limit)
        cards = await self.cards.published(page.post_ids) if page.post_ids else {}
        credited = {author for card in cards.values() for author in card.reaching_authors()}
        blockers = (
            await self.blocks.blockers_among({user.id, *credited}, viewer_id)
            if self.blocks
            else set()
        )
        if user.id in blockers:
            raise UnknownUser()
        _, _, liked = await self._reader_sets(viewer_id, with_celebrities=False)
        return await self._render(page, liked, blockers, known_users={user.id: user})

    async def _render(
        self,
        page: TimelinePage,
        liked: Collection[str],
        muted: Collection[str] = (),
        known_users: Mapping[str, PublicUser] | None = None,
        peeked: tuple[ValuesPeek | None, ValuesPeek | None] = (None, None),
    ) -> RenderedPage:
        """`known_users`: users just read from the directory, not read again (a profile's
        owner: a page of its solo posts needs no other). The cards and the profiles they
        showed last time are one round trip (none when `peeked`, the cards and profiles read
        already, holds them all); profiles they did not show then, one more."""
        known = known_users or {}
        last_shown = self.rendered.users_last_shown(page.post_ids)
        expected = [uid for uid in last_shown if uid not in known]
        cards, users = await read_values_together(
            replace(self.cards.published_read(page.post_ids), peeked=peeked[0]),
            replace(self.directory.profiles_read(expected), peeked=peeked[1]),
        )
        cards = {
            post_id: card
            for post_id, card in cards.items()
            if not any(author in muted for author in card.reaching_authors())
        }
        originals = await self._originals_shown(cards.values())
        user_ids = [
            uid
            for card in (*cards.values(), *originals.values())
            for uid in card.reaching_authors()
        ]
        asked = {*known, *expected}
        users = {
            **known,
            **users,
            **await self.directory.get_many(uid for uid in user_ids if uid not in asked),
        }
        # A post whose author is gone (deleted account, not yet purged) is left out.
        shown = [
            cards[post_id]
            for post_id in page.post_ids
            if post_id in cards and _renderable(cards[post_id], users)
        ]
        items = [
            self.rendered.post(card, users, originals, card.post_id in liked) for card in shown
        ]
        next_cursor = position_to_cursor(page.next_position) if page.next_position else None
        return RenderedPage([post for post in items if post is not None], next_cursor)

    async def _originals_shown(self, cards: Iterable[PostCard]) -> dict[str, PostCard]:
        """The originals approved remixes show: one more query, only when there are some."""
        original_ids = [oid for card in cards if (oid := shows_original(card))]
        return await self.cards.published(original_ids) if original_ids else {}


def _home_feeds(owner_id: str, celebrities: Iterable[str]) -> list[Feed]:
    """The owner's home feed, and the profiles merged into it: the owner's own posts (authored
    or co-authored) are merged in like a celebrity's."""
    merged_in = [owner_id, *sorted(celebrities)]
    return [("home", owner_id), *(("profile", author_id) for author_id in merged_in)]


def _position(cursor: str | None) -> TimelinePosition | None:
    return position_from_cursor(cursor) if cursor else None


def _shown_user_ids(card: PostCard, original: PostCard | None) -> list[str]:
    """Whose profiles the post shows: its credits', and its original's."""
    shown = [card.author_id, *card.credited_coauthor_ids]
    if original is not None:
        shown += [original.author_id, *original.credited_coauthor_ids]
    return [uid for uid in shown if uid]


def _renderable(card: PostCard, users: Mapping[str, PublicUser]) -> bool:
    return card.author_id in users and card.created_at is not None and card.published_at is not None


def _post(
    card: PostCard,
    users: Mapping[str, PublicUser],
    originals: Mapping[str, PostCard] | None = None,
    liked_by_me: bool = False,
    *,
    counted: bool = True,
) -> PostOut | None:
    """`originals`: the cards a remix may show; without them a remix shows only its link.
    An original shown in a remix is not `counted`: its counts show on its own card only."""
    author = users.get(card.author_id or "")
    if author is None or card.created_at is None or card.published_at is None:
        return None
    return PostOut(
        id=card.post_id,
        text=card.text,
        author=author,
        coauthors=[
            CoauthorOut(user=users[credit.coauthor_id], status="accepted", credit=credit.label)
            for credit in card.credited_coauthors()
            if credit.coauthor_id in users
        ],
        status="published",
        publish_mode=card.publish_mode,
        created_at=card.created_at,
        published_at=card.published_at,
        like_count=card.like_count if counted else 0,
        reply_count=card.reply_count if counted else 0,
        liked_by_me=liked_by_me,
        remix_count=card.remix_count,
        remix_of=_remix_of(card, users, originals),
        media=[item.out() for item in card.media],
        version=card.content_version,
        edited_at=card.edited_at,
        content_warning=card.content_warning,
        remote_media=list(card.remote_media),
    )


def _remix_of(
    card: PostCard, users: Mapping[str, PublicUser], originals: Mapping[str, PostCard] | None
) -> RemixOfOut | None:
    if card.remix_of_post_id is None or card.remix_status is None:
        return None
    original_id = shows_original(card)
    original = originals.get(original_id) if originals is not None and original_id else None
    return RemixOfOut(
        post_id=card.remix_of_post_id,
        status=card.remix_status,
        post=_post(original, users, counted=False) if original is not None else None,
    )
