"""The timeline rules, pure: post cards and their credits, fan-out planning, merging pages.

Nothing here does I/O. The repository stores what these functions decide and the
handlers call them with what the events say.
"""

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from shared.clock import at_storage_precision
from shared.events.posts import PostPublished, PublishMode, RemixStatus
from shared.pagination import cursor_text, cursor_time, decode_cursor, encode_cursor
from shared.problems import NotFound

type CardStatus = Literal["unknown", "published", "deleted"]

# The author plus at most five co-authors: a post is on at most this many profiles, which
# bounds how often one post can come back from a query over several profiles.
MAX_AUTHORS_PER_POST = 6


class UnknownUser(NotFound):
    def __init__(self) -> None:
        super().__init__("No such user.")


class InsightsNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such post among yours.")


# -- post cards ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    """The latest known word on one co-author of a post, and when it was said."""

    coauthor_id: str
    credited: bool
    as_of: datetime


@dataclass(frozen=True)
class PostCard:
    """What the timeline knows of a post: enough to render it and to know whom it reaches.

    A card may exist before its post.published arrives (a co-author added first): it is
    then `unknown` and reaches nobody. `deleted` is final: no later event revives it.
    """

    post_id: str
    status: CardStatus = "unknown"
    author_id: str | None = None
    text: str = ""
    publish_mode: PublishMode = "now"
    created_at: datetime | None = None
    published_at: datetime | None = None
    credits: tuple[Credit, ...] = ()
    # A remix: its original and where it stands with it (issue 13).
    remix_of_post_id: str | None = None
    remix_status: RemixStatus | None = None
    # Approved published remixes of this post: recounted, never written with the card.
    remix_count: int = 0
    # The post's shared counters, as the posts service last announced them (issue 12):
    # kept on the card so a page reads them with it, never written with the card.
    like_count: int = 0
    reply_count: int = 0

    @property
    def credited_coauthor_ids(self) -> tuple[str, ...]:
        ordered = sorted(self.credits, key=lambda credit: (credit.as_of, credit.coauthor_id))
        return tuple(credit.coauthor_id for credit in ordered if credit.credited)

    def reaching_authors(self) -> tuple[str, ...]:
        """The accounts whose profiles and audiences carry the post right now."""
        if self.status != "published" or self.author_id is None:
            return ()
        return (self.author_id, *self.credited_coauthor_ids)

    def credit_of(self, coauthor_id: str) -> Credit | None:
        return next((c for c in self.credits if c.coauthor_id == coauthor_id), None)


def publish_card(card: PostCard, event: PostPublished) -> PostCard:
    """The post's content and its credits at publication; a deleted card stays deleted."""
    if card.status == "deleted":
        return card
    published = replace(
        card,
        status="published",
        author_id=event.author_id,
        text=event.text,
        publish_mode=event.publish_mode,
        created_at=at_storage_precision(event.created_at),
        published_at=at_storage_precision(event.published_at),
    )
    for coauthor_id in event.coauthor_ids:
        published = record_credit(published, coauthor_id, credited=True, as_of=event.published_at)
    if event.remix_of_post_id is not None:
        status = event.remix_status or "pending"
        published = record_remix_status(published, event.remix_of_post_id, status)
    return published


# Remix statuses only move forward; the final ones never follow one another.
_REMIX_STATUS_RANK: dict[RemixStatus, int] = {
    "pending": 0,
    "approved": 1,
    "rejected": 2,
    "revoked": 2,
    "removed": 2,
}


def record_remix_status(card: PostCard, original_id: str, status: RemixStatus) -> PostCard:
    """Keep the furthest status heard of, so a late or repeated event changes nothing."""
    if card.remix_of_post_id not in (None, original_id):
        return card
    known = card.remix_status
    if known is not None and _REMIX_STATUS_RANK[status] <= _REMIX_STATUS_RANK[known]:
        return card
    return replace(card, remix_of_post_id=original_id, remix_status=status)


def shows_original(card: PostCard) -> str | None:
    """The original a remix card shows: only while approved."""
    return card.remix_of_post_id if card.remix_status == "approved" else None


def record_credit(card: PostCard, coauthor_id: str, *, credited: bool, as_of: datetime) -> PostCard:
    """Keep the newest word on a co-author, so a late or repeated event changes nothing."""
    if card.status == "deleted" or coauthor_id == card.author_id:
        return card
    as_of = at_storage_precision(as_of)
    known = card.credit_of(coauthor_id)
    if known is not None and not _is_newer(as_of, credited, known):
        return card
    others = tuple(c for c in card.credits if c.coauthor_id != coauthor_id)
    return replace(card, credits=(*others, Credit(coauthor_id, credited, as_of)))


def _is_newer(as_of: datetime, credited: bool, known: Credit) -> bool:
    # At the same instant a removal wins: crediting twice at one time is not a thing.
    if as_of != known.as_of:
        return as_of > known.as_of
    return known.credited and not credited


def delete_card(card: PostCard) -> PostCard:
    return replace(card, status="deleted")


# -- fan-out planning ------------------------------------------------------------------


def is_celebrity(follower_count: int, threshold: int) -> bool:
    """Authors over the threshold are read from their profile instead of fanned out."""
    return follower_count > threshold


@dataclass(frozen=True)
class CelebrityFlags:
    """Where an author stands on the two sides of the hybrid fan-out.

    `skips_fan_out`: its new posts are not written to followers' home timelines.
    `merged_at_read`: its follow edges are flagged, so readers merge its profile in.
    Both agree at rest; a change of status moves them one at a time, in an order that
    keeps every post either fanned out or merged (see `celebrity_change`).
    """

    skips_fan_out: bool
    merged_at_read: bool


type CelebrityChange = Literal["promote", "demote"]


def celebrity_change(
    flags: CelebrityFlags, follower_count: int, threshold: int, demotion_margin: int = 0
) -> CelebrityChange | None:
    """What to do so the flags match the follower count; a half-done change is finished.

    Promotion above `threshold`, demotion only at `threshold - demotion_margin` or below:
    one follow toggled at the threshold would otherwise promote and demote the author each
    time, copying its posts to every follower on each demotion. Within the margin the
    status stays as it is (a half-done change finishes the way its fan-out flag points).

    A promotion turns the read-side merge on before it stops the fan-out; a demotion
    resumes the fan-out, back-fills the followers, and only then stops the merge.
    """
    if is_celebrity(follower_count, threshold):
        celebrity = True
    elif follower_count <= threshold - demotion_margin:
        celebrity = False
    else:
        celebrity = flags.skips_fan_out
    if flags.skips_fan_out == celebrity and flags.merged_at_read == celebrity:
        return None
    return "promote" if celebrity else "demote"


@dataclass(frozen=True)
class AudiencePlan:
    """Which reaching authors are fanned out on write and which are merged at read time."""

    fan_out_authors: tuple[str, ...]
    celebrity_authors: tuple[str, ...]


def plan_audiences(authors: Sequence[str], celebrities: Collection[str]) -> AudiencePlan:
    return AudiencePlan(
        fan_out_authors=tuple(a for a in authors if a not in celebrities),
        celebrity_authors=tuple(a for a in authors if a in celebrities),
    )


@dataclass(frozen=True)
class HomeDelivery:
    """One home-timeline write: the owner gets the post once, whoever of its authors it follows."""

    owner_id: str
    via: tuple[str, ...]


def plan_deliveries(followers_by_author: Mapping[str, Iterable[str]]) -> list[HomeDelivery]:
    """One delivery per follower, naming every followed author it reaches the post through."""
    via_by_owner: dict[str, list[str]] = {}
    for author_id, follower_ids in followers_by_author.items():
        for follower_id in follower_ids:
            reached_through = via_by_owner.setdefault(follower_id, [])
            if author_id not in reached_through:
                reached_through.append(author_id)
    return [HomeDelivery(owner, tuple(via)) for owner, via in via_by_owner.items()]


def batches[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class TimelinePosition:
    """Where an entry sorts: newest first, ties broken by post id, so order is total."""

    published_at: datetime
    post_id: str

    @property
    def sort_key(self) -> str:
        """The position as one string that sorts as positions do (stored in each entry).

        A page after a cursor is then one range on one field beside the owner, which every
        server answers from the index; a range on the time plus a tie-break on the id is not.
        """
        moment = self.published_at.astimezone(UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}|{self.post_id}"


@dataclass(frozen=True)
class TimelinePage:
    post_ids: tuple[str, ...]
    next_position: TimelinePosition | None


def merge_timeline_page(sources: Iterable[Sequence[TimelinePosition]], limit: int) -> TimelinePage:
    """The first `limit` distinct posts of several newest-first lists, and where to go on.

    Each source must hold at least `limit + 1` distinct posts when it has that many after
    the cursor; then the merged page is exact and a next page exists iff one more remains.
    """
    distinct = {position.post_id: position for source in sources for position in source}
    ordered = sorted(distinct.values(), reverse=True)
    page = ordered[:limit]
    has_more = len(ordered) > limit
    return TimelinePage(
        post_ids=tuple(position.post_id for position in page),
        next_position=page[-1] if has_more and page else None,
    )


def celebrity_fetch_size(limit: int, celebrity_count: int) -> int:
    """Enough profile entries to hold `limit + 1` distinct posts, each on up to 6 profiles."""
    return (limit + 1) * max(1, min(celebrity_count, MAX_AUTHORS_PER_POST))


def position_to_cursor(position: TimelinePosition) -> str:
    return encode_cursor({"t": position.published_at.isoformat(), "p": position.post_id})


def position_from_cursor(cursor: str) -> TimelinePosition:
    """The position an opaque cursor names; anything a client made up is a 400."""
    fields = decode_cursor(cursor)
    return TimelinePosition(cursor_time(fields, "t"), cursor_text(fields, "p"))


# -- insights (issue 12) -------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorInsights:
    author_id: str
    audience: int
    exclusive_audience: int
    likes_from_audience: int
    new_followers: int


@dataclass(frozen=True)
class PostInsights:
    reached: int
    authors: tuple[AuthorInsights, ...]


def compute_insights(
    authors: Sequence[str],
    reach: Mapping[str, Collection[str]],
    likers: Collection[str],
    follows_from_post: Iterable[tuple[str, str]],
) -> PostInsights:
    """The figures of API.md's insights, from what the post's deliveries recorded.

    `reach` maps each account the post was delivered to onto the credited authors it was
    reached through (the ones it followed at that delivery); `authors` are those credited
    now. The credited authors themselves are never counted as reached or as audience.
    """
    credited = set(authors)
    reached = {account: set(via) for account, via in reach.items() if account not in credited}
    follows = list(follows_from_post)
    figures = []
    for author_id in authors:
        audience = [account for account, via in reached.items() if author_id in via]
        others = credited - {author_id}
        figures.append(
            AuthorInsights(
                author_id=author_id,
                audience=len(audience),
                exclusive_audience=sum(1 for a in audience if not reached[a] & others),
                likes_from_audience=sum(1 for a in audience if a in likers),
                new_followers=len(
                    {f for f, followee in follows if followee == author_id and f not in credited}
                ),
            )
        )
    return PostInsights(reached=len(reached), authors=tuple(figures))
