"""The timeline rules without I/O: cards and credits, fan-out planning, merged pages, cursors."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.events.posts import Credit, PostPublished
from shared.pagination import encode_cursor
from shared.problems import BadRequest
from timeline.core.rules import (
    PostCard,
    TimelinePosition,
    delete_card,
    publish_card,
    record_credit,
)
from timeline.fanout.rules import (
    CelebrityFlags,
    celebrity_change,
    is_celebrity,
    needs_recount,
    plan_audiences,
)
from timeline.reads.rules import (
    merge_timeline_page,
    position_from_cursor,
    position_to_cursor,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def published(coauthors: tuple[str, ...] = (), when: int = 10) -> PostPublished:
    return PostPublished(
        post_id="p",
        author_id="ann",
        text="hello",
        coauthor_ids=coauthors,
        created_at=at(when - 1),
        published_at=at(when),
    )


def pos(seconds: int, post_id: str) -> TimelinePosition:
    return TimelinePosition(at(seconds), post_id)


# -- cards and credits -----------------------------------------------------------------


def test_a_card_reaches_nobody_until_its_post_is_published() -> None:
    card = record_credit(PostCard("p"), "bob", credited=True, as_of=at(5))
    assert card.reaching_authors() == ()


def test_coauthor_added_before_published_is_credited_once_published() -> None:
    card = record_credit(PostCard("p"), "bob", credited=True, as_of=at(20))
    card = publish_card(card, published())
    assert card.reaching_authors() == ("ann", "bob")


def test_a_card_keeps_what_each_coauthor_is_credited_for_until_the_credit_goes() -> None:
    card = publish_card(
        PostCard("p"),
        published(("bob", "cy")).model_copy(update={"coauthor_credits": {"bob": "photo"}}),
    )
    card = record_credit(card, "dee", credited=True, as_of=at(20), label="music")
    assert [(c.coauthor_id, c.label) for c in card.credited_coauthors()] == [
        ("bob", "photo"),
        ("cy", None),
        ("dee", "music"),
    ]
    card = record_credit(card, "bob", credited=False, as_of=at(30))
    assert card.credit_of("bob") == Credit("bob", False, at(30), None)


def test_published_credits_the_coauthors_it_lists() -> None:
    card = publish_card(PostCard("p"), published(coauthors=("bob", "cat")))
    assert card.reaching_authors() == ("ann", "bob", "cat")


# (events in delivery order, credited in the end?)
CREDIT_ORDERS = [
    pytest.param([("add", 20)], True, id="added"),
    pytest.param([("add", 20), ("remove", 30)], False, id="added-then-removed"),
    pytest.param([("remove", 30), ("add", 20)], False, id="removal-arrives-first"),
    pytest.param([("add", 20), ("remove", 30), ("add", 40)], True, id="re-invited-and-added"),
    pytest.param([("add", 40), ("remove", 30), ("add", 20)], True, id="newest-add-arrives-first"),
    pytest.param([("add", 20), ("add", 20)], True, id="duplicate-add"),
    pytest.param([("add", 20), ("remove", 20)], False, id="same-instant-removal-wins"),
]


@pytest.mark.parametrize(("deliveries", "credited"), CREDIT_ORDERS)
def test_the_newest_word_on_a_coauthor_wins_whatever_the_delivery_order(
    deliveries: list[tuple[str, int]], credited: bool
) -> None:
    card = publish_card(PostCard("p"), published())
    for kind, when in deliveries:
        card = record_credit(card, "bob", credited=kind == "add", as_of=at(when))
    assert ("bob" in card.reaching_authors()) is credited


def test_a_late_published_does_not_revive_a_newer_removal() -> None:
    card = record_credit(PostCard("p"), "bob", credited=False, as_of=at(30))
    card = publish_card(card, published(coauthors=("bob",), when=10))
    assert card.reaching_authors() == ("ann",)


@pytest.mark.parametrize(
    "after_deletion",
    [
        pytest.param(lambda c: publish_card(c, published()), id="published"),
        pytest.param(lambda c: record_credit(c, "bob", credited=True, as_of=at(99)), id="added"),
    ],
)
def test_a_deleted_card_is_a_tombstone(after_deletion: object) -> None:
    card = delete_card(publish_card(PostCard("p"), published()))
    assert after_deletion(card) == card  # type: ignore[operator]
    assert card.reaching_authors() == ()


def test_publishing_twice_changes_nothing() -> None:
    once = publish_card(PostCard("p"), published(coauthors=("bob",)))
    assert publish_card(once, published(coauthors=("bob",))) == once


def test_stored_times_are_cut_to_milliseconds_like_mongodb() -> None:
    event = published()
    event = event.model_copy(update={"published_at": at(10).replace(microsecond=123_456)})
    card = publish_card(PostCard("p"), event)
    assert card.published_at == at(10).replace(microsecond=123_000)


# -- fan-out planning --------------------------------------------------------------------


def test_celebrities_are_left_to_the_read_side() -> None:
    plan = plan_audiences(["ann", "star", "bob"], {"star"})
    assert plan.fan_out_authors == ("ann", "bob")
    assert plan.celebrity_authors == ("star",)


@pytest.mark.parametrize(
    ("followers", "threshold", "celebrity"),
    [(10_000, 10_000, False), (10_001, 10_000, True), (0, 0, False), (1, 0, True)],
)
def test_a_celebrity_has_more_followers_than_the_threshold(
    followers: int, threshold: int, celebrity: bool
) -> None:
    assert is_celebrity(followers, threshold) is celebrity


@pytest.mark.parametrize(
    ("counted", "flags", "recount"),
    [
        (8_899, CelebrityFlags(False, False), False),  # 10 000 - 1 000 - 100 - 1
        (8_900, CelebrityFlags(False, False), True),  # within the margin and the slack
        (0, CelebrityFlags(True, True), True),  # a celebrity: a demotion may be due
        (0, CelebrityFlags(False, True), True),  # a change half done
        (-1, CelebrityFlags(False, False), True),  # a count gone wrong
    ],
)
def test_only_counts_near_the_threshold_or_of_flagged_authors_are_recounted(
    counted: int, flags: CelebrityFlags, recount: bool
) -> None:
    assert needs_recount(counted, flags, threshold=10_000, demotion_margin=1_000) is recount


# -- merging pages -------------------------------------------------------------------------


def test_merge_orders_newest_first_and_keeps_each_post_once() -> None:
    home = [pos(9, "c"), pos(5, "b"), pos(1, "a")]
    celebrity = [pos(9, "c"), pos(7, "s"), pos(7, "s"), pos(3, "t")]
    page = merge_timeline_page([home, celebrity], limit=10)
    assert page.post_ids == ("c", "s", "b", "t", "a")
    assert page.next_position is None


def test_ties_on_time_are_broken_by_post_id() -> None:
    page = merge_timeline_page([[pos(5, "a")], [pos(5, "b")]], limit=10)
    assert page.post_ids == ("b", "a")


def test_a_full_page_points_at_its_last_post_when_more_remain() -> None:
    page = merge_timeline_page([[pos(3, "c"), pos(2, "b"), pos(1, "a")]], limit=2)
    assert page.post_ids == ("c", "b")
    assert page.next_position == pos(2, "b")


def test_a_page_with_exactly_limit_posts_is_the_last() -> None:
    page = merge_timeline_page([[pos(2, "b")], [pos(1, "a"), pos(2, "b")]], limit=2)
    assert page.post_ids == ("b", "a")
    assert page.next_position is None


def test_paging_through_merged_sources_sees_every_post_once() -> None:
    home = [pos(n, f"h{n:02}") for n in range(0, 30, 2)]
    celebrity = [pos(n, f"s{n:02}") for n in range(1, 30, 3)] + [pos(4, "h04")]
    everything = sorted({p.post_id: p for p in home + celebrity}.values(), reverse=True)
    seen: list[str] = []
    after: TimelinePosition | None = None
    while True:
        sources = [
            [p for p in source if after is None or p < after] for source in (home, celebrity)
        ]
        page = merge_timeline_page([sorted(s, reverse=True)[:6] for s in sources], limit=5)
        seen += page.post_ids
        if page.next_position is None:
            break
        after = page.next_position
    assert seen == [p.post_id for p in everything]


# -- cursors -------------------------------------------------------------------------------


def test_a_cursor_names_the_position_it_was_made_from() -> None:
    position = TimelinePosition(at(5).replace(microsecond=123_000), "post-1")
    assert position_from_cursor(position_to_cursor(position)) == position


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64-json!",
        encode_cursor({"t": "yesterday", "p": "x"}),
        encode_cursor({"t": "2025-03-01T00:00:00", "p": "x"}),
        encode_cursor({"t": "2025-03-01T00:00:00+00:00"}),
        encode_cursor({"t": 5, "p": "x"}),
    ],
)
def test_a_made_up_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        position_from_cursor(cursor)


# -- celebrity status changes --------------------------------------------------------------

AT_REST = CelebrityFlags(skips_fan_out=False, merged_at_read=False)
CELEBRITY = CelebrityFlags(skips_fan_out=True, merged_at_read=True)
# Either change, cut short by a crash, leaves fan-out and merge both on: safe, and the
# follower count alone says which way to finish.
HALF_CHANGED = CelebrityFlags(skips_fan_out=False, merged_at_read=True)


@pytest.mark.parametrize(
    ("flags", "followers", "change"),
    [
        pytest.param(AT_REST, 3, None, id="ordinary-stays"),
        pytest.param(AT_REST, 4, "promote", id="crosses-up"),
        pytest.param(CELEBRITY, 4, None, id="celebrity-stays"),
        pytest.param(CELEBRITY, 3, "demote", id="crosses-down"),
        pytest.param(HALF_CHANGED, 4, "promote", id="interrupted-promotion-finishes"),
        pytest.param(HALF_CHANGED, 3, "demote", id="interrupted-demotion-finishes"),
        pytest.param(CelebrityFlags(True, False), 3, "demote", id="any-mismatch-is-settled"),
    ],
)
def test_a_status_change_brings_both_flags_to_the_follower_count(
    flags: CelebrityFlags, followers: int, change: str | None
) -> None:
    assert celebrity_change(flags, followers, threshold=3) == change


@pytest.mark.parametrize(
    ("flags", "followers", "change"),
    [
        pytest.param(AT_REST, 11, "promote", id="promoted-above-the-threshold"),
        pytest.param(CELEBRITY, 10, None, id="kept-at-the-threshold"),
        pytest.param(CELEBRITY, 9, None, id="kept-within-the-margin"),
        pytest.param(CELEBRITY, 8, "demote", id="demoted-at-threshold-minus-margin"),
        pytest.param(AT_REST, 9, None, id="ordinary-within-the-margin-stays-ordinary"),
        pytest.param(HALF_CHANGED, 9, "demote", id="half-change-within-margin-finishes"),
    ],
)
def test_a_demotion_waits_until_the_margin_below_the_threshold(
    flags: CelebrityFlags, followers: int, change: str | None
) -> None:
    assert celebrity_change(flags, followers, threshold=10, demotion_margin=2) == change


def test_sort_keys_order_positions_as_the_newest_first_order_does() -> None:
    positions = [
        pos(10, "b"),
        pos(10, "a"),
        pos(10, "ab"),
        pos(9, "z"),
        TimelinePosition(at(10).replace(microsecond=1_000), "a"),
        TimelinePosition(at(10).astimezone(timezone(timedelta(hours=-5))), "c"),
        TimelinePosition(at(100_000), "a"),
    ]
    newest_first = sorted(positions, key=lambda p: (p.published_at, p.post_id), reverse=True)

    assert sorted(positions, key=lambda p: p.sort_key, reverse=True) == newest_first
