"""What every timeline capability shares, pure: the post card (what the timeline knows of a
post, and whom it reaches) and a post's position in a timeline.

Nothing here does I/O. The repository stores what these functions decide and the
handlers call them with what the events say.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shared.clock import at_storage_precision
from shared.events.federation import RemotePostEdited, RemotePostReceived
from shared.events.posts import (
    Credit,
    KnownPostStatus,
    PostEdited,
    PostHandedOver,
    PostPublished,
    PublishMode,
    RemixStatus,
)
from shared.public_media import AttachedMedia, newest_media
from shared.public_post import RemoteMediaOut


@dataclass(frozen=True, slots=True)
class PostCard:
    """What the timeline knows of a post: enough to render it and to know whom it reaches.

    A card may exist before its post.published arrives (a co-author added first): it is
    then `unknown` and reaches nobody. `deleted` is final: no later event revives it.
    """

    post_id: str
    status: KnownPostStatus = "unknown"
    author_id: str | None = None
    text: str = ""
    publish_mode: PublishMode = "now"
    created_at: datetime | None = None
    published_at: datetime | None = None
    credits: tuple[Credit, ...] = ()
    # A remix: its original and where it stands with it.
    remix_of_post_id: str | None = None
    remix_status: RemixStatus | None = None
    # Its pictures (or video), as published: a page renders them without asking anyone.
    media: tuple[AttachedMedia, ...] = ()
    # The version of the content above (1 as published, one more per edit) and the last
    # edit's time: the highest version heard of wins, whatever order events arrive in.
    content_version: int = 1
    edited_at: datetime | None = None
    # A remote account's post: its content warning and media, as its Note gave them, and
    # the time of the Note's version they are from (a later version's win, in any order).
    content_warning: str | None = None
    remote_media: tuple[RemoteMediaOut, ...] = ()
    remote_content_at: datetime | None = None
    # Approved published remixes of this post: recounted, never written with the card.
    remix_count: int = 0
    # The post's shared counters, as the posts service last announced them:
    # kept on the card so a page reads them with it, never written with the card.
    like_count: int = 0
    reply_count: int = 0

    @property
    def credited_coauthor_ids(self) -> tuple[str, ...]:
        return tuple(credit.coauthor_id for credit in self.credited_coauthors())

    def reaching_authors(self) -> tuple[str, ...]:
        """The accounts whose profiles and audiences carry the post right now."""
        if self.status != "published" or self.author_id is None:
            return ()
        return (self.author_id, *self.credited_coauthor_ids)

    def credited_coauthors(self) -> tuple[Credit, ...]:
        """The credited co-authors, in the order they were credited."""
        ordered = sorted(self.credits, key=lambda credit: (credit.as_of, credit.coauthor_id))
        return tuple(credit for credit in ordered if credit.credited)

    def credit_of(self, coauthor_id: str) -> Credit | None:
        return next((c for c in self.credits if c.coauthor_id == coauthor_id), None)


def remote_content_card(card: PostCard, event: RemotePostReceived | RemotePostEdited) -> PostCard:
    """A remote post's content warning and media (web URLs only), beside what post.* say: its
    Note's as created, then as each newer Update says (an older one arriving late is left)."""
    at = event.published_at if isinstance(event, RemotePostReceived) else event.edited_at
    if card.status == "deleted" or event.attachments is None:
        return card  # an edit told before 1.2 did not say
    if card.remote_content_at is not None and at <= card.remote_content_at:
        return card
    shown = (RemoteMediaOut.shown(a.url, a.media_type, a.name) for a in event.attachments)
    media = tuple(medium for medium in shown if medium is not None)
    return replace(card, content_warning=event.summary, remote_media=media, remote_content_at=at)


def publish_card(card: PostCard, event: PostPublished) -> PostCard:
    """The post's content and its credits at publication; a deleted card stays deleted."""
    if card.status == "deleted":
        return card
    published = replace(
        card,
        status="published",
        author_id=event.author_id,
        publish_mode=event.publish_mode,
        created_at=at_storage_precision(event.created_at),
        published_at=at_storage_precision(event.published_at),
    )
    if card.content_version == 1:
        # An edit heard of first keeps its newer content; an alt text edited before this event
        # arrived is newer than the one it carries.
        published = replace(published, text=event.text, media=newest_media(event.media, card.media))
    for coauthor_id in event.coauthor_ids:
        published = record_credit(
            published,
            coauthor_id,
            credited=True,
            as_of=event.published_at,
            label=event.coauthor_credits.get(coauthor_id),
        )
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


def record_credit(
    card: PostCard,
    coauthor_id: str,
    *,
    credited: bool,
    as_of: datetime,
    label: str | None = None,
) -> PostCard:
    """Keep the newest word on a co-author, so a late or repeated event changes nothing;
    `label`: what a credited co-author is credited for."""
    if card.status == "deleted" or coauthor_id == card.author_id:
        return card
    as_of = at_storage_precision(as_of)
    credit = Credit(coauthor_id, credited, as_of, label if credited else None)
    known = card.credit_of(coauthor_id)
    if known is not None and not credit.is_newer_than(known):
        return card
    others = tuple(c for c in card.credits if c.coauthor_id != coauthor_id)
    return replace(card, credits=(*others, credit))


def record_alt_text(card: PostCard, edited: AttachedMedia) -> PostCard:
    """Keep the newest alt text of a medium; on a card not published yet, keep the edit itself,
    so the post.published that follows cannot bring back an older one."""
    if card.status == "deleted":
        return card
    if card.status == "unknown" and edited.id not in {medium.id for medium in card.media}:
        return replace(card, media=(*card.media, edited))
    return replace(card, media=newest_media(card.media, [edited]))


def edit_card(card: PostCard, event: PostEdited) -> PostCard:
    """The edited content, unless the card already shows this version or a later one."""
    if card.status == "deleted" or event.version <= card.content_version:
        return card
    return replace(
        card,
        text=event.text,
        media=newest_media(event.media, card.media),
        content_version=event.version,
        edited_at=at_storage_precision(event.edited_at),
    )


def hand_over_card(card: PostCard, event: PostHandedOver) -> PostCard:
    """The co-author is the author from now on, no longer among the credits; the former
    author is credited when they stay on the post. A repeated hand-over changes nothing."""
    if card.status == "deleted" or card.author_id == event.to_author_id:
        return card
    handed = replace(
        card,
        author_id=event.to_author_id,
        credits=tuple(c for c in card.credits if c.coauthor_id != event.to_author_id),
    )
    if event.from_author_id not in event.coauthor_ids:
        return handed
    return record_credit(handed, event.from_author_id, credited=True, as_of=event.handed_over_at)


def delete_card(card: PostCard) -> PostCard:
    return replace(card, status="deleted")


@dataclass(frozen=True, order=True, slots=True)
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
