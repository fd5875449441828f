"""The co-authoring rules of posts (posts.*.rules), as tables of cases; no I/O."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from posts.authoring import rules as authoring
from posts.authoring.rules import NewInvitation, NewPostRequest
from posts.coauthoring import rules as coauthoring
from posts.coauthoring.rules import Eligibility
from posts.core import rules as core
from posts.core.rules import Change, Coauthor, Post
from shared.events.posts import (
    PostCoauthorAdded,
    PostCoauthorInvited,
    PostCoauthorRemoved,
    PostCreated,
    PostDeleted,
    PostPublished,
)
from shared.problems import (
    Forbidden,
    NotFound,
    Problem,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)

NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)


def invited(user: str) -> Coauthor:
    return Coauthor(user_id=user, invitation_id=f"inv-{user}", status="invited", invited_at=NOW)


def accepted(user: str) -> Coauthor:
    return replace(invited(user), status="accepted", accepted_at=NOW)


def a_post(*coauthors: Coauthor, status: str = "published", mode: str = "now") -> Post:
    return Post(
        id="p1",
        author_id="author",
        text="hello",
        publish_mode=mode,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        created_at=NOW,
        published_at=NOW if status == "published" else None,
        coauthors=coauthors,
    )


def event_types(change: Change) -> list[str]:
    return [event.event_type for event in change.events]


# -- validating a new post -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "handles", "error_type"),
    [
        ("", [], "empty"),
        ("   \n ", [], "empty"),
        ("x" * 501, [], "too_long"),
        ("hi", ["bob", "carol", "dave", "erin", "frank", "gina"], "too_many"),
        ("hi", ["bob", "Bob"], "duplicate"),
        ("hi", ["no"], "invalid_handle"),
        ("hi", ["bad handle!"], "invalid_handle"),
        ("hi", ["bob@"], "invalid_handle"),
        ("hi", ["@social.example"], "invalid_handle"),
    ],
)
def test_invalid_new_post_is_unprocessable(text: str, handles: list[str], error_type: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        authoring.validate_new_post(text, handles, max_coauthors=5, max_text_length=500)
    assert error_type in [e["type"] for e in raised.value.errors or []]


def test_a_remote_account_is_named_as_a_coauthor_by_user_at_host() -> None:
    authoring.validate_new_post(
        "hi", ["rita@social.example", "Bob"], max_coauthors=5, max_text_length=500
    )


@pytest.mark.parametrize(
    "text",
    [
        "\u0000",
        "nul\u0000inside",
        "bell\u0007",
        "\u001b[31mred",
        "a\u001fb",
        "del\u007fx",
        "c1\u0085x",
    ],
)
def test_text_with_control_characters_is_unprocessable(text: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        authoring.validate_new_post(text, [], max_coauthors=5, max_text_length=500)
    assert [e["type"] for e in raised.value.errors or []] == ["control_character"]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("see \u202egnp.exe", "see gnp.exe"),  # right-to-left override disguising a name
        ("ev\u200bil", "evil"),  # zero-width space splitting a word filters would catch
        ("\u2066isolated\u2069 \u200fmark", "isolated mark"),
        ("\ufeffbom", "bom"),
        ("Zoe\u0301", "Zo\u00e9"),  # NFC: one spelling of the same text
        ("family \U0001f468\u200d\U0001f469\u200d\U0001f467", None),  # joiners in emoji stay
    ],
)
def test_invisible_format_characters_are_stripped_from_text_and_it_is_nfc(
    text: str, stored: str | None
) -> None:
    request = authoring.validate_new_post(text, [], max_coauthors=5, max_text_length=500)
    assert request.text == (stored if stored is not None else text)


def test_text_made_only_of_invisible_characters_is_empty() -> None:
    with pytest.raises(Unprocessable) as raised:
        authoring.validate_new_post("\u200b\u202e", [], max_coauthors=5, max_text_length=500)
    assert [e["type"] for e in raised.value.errors or []] == ["empty"]


def test_line_breaks_and_tabs_are_allowed_in_text() -> None:
    request = authoring.validate_new_post(
        "first line\r\nsecond\tcolumn\nthird", [], max_coauthors=5, max_text_length=500
    )
    assert request.text == "first line\r\nsecond\tcolumn\nthird"


def test_valid_new_post_is_stripped_and_lower_cased() -> None:
    request = authoring.validate_new_post(
        "  hi  ", [" Bob", "carol"], max_coauthors=5, max_text_length=500
    )
    assert request == NewPostRequest("hi", ("bob", "carol"))


# -- credits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (None, None),
        ("photo", "photo"),
        ("  Music  by ", "Music by"),
        ("x" * 30, "x" * 30),
        ("写真", "写真"),
    ],
)
def test_credits_are_shown_as_rfc_8266_makes_them(raw: str | None, shown: str | None) -> None:
    request = authoring.validate_new_post(
        "hi", ["bob"], credits=[raw], max_coauthors=5, max_text_length=500
    )
    assert request.credits == (shown,)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "x" * 31,
        "\u3164",
        "\u115f",
        "\u2800",
        "\u034f",
        "ph\u200boto",
        "a\nb",
        "\u202ephoto",
    ],
)
def test_credits_nobody_could_read_are_unprocessable(raw: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        authoring.validate_new_post(
            "hi", ["bob", "carol"], credits=[None, raw], max_coauthors=5, max_text_length=500
        )
    errors = raised.value.errors or []
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "coauthors", "1", "credit"], "invalid_credit")
    ]


def test_an_invitation_with_an_unreadable_credit_is_unprocessable() -> None:
    with pytest.raises(Unprocessable) as raised:
        coauthoring.validate_invitee("bob", "\u3164\u3164")
    assert [e["loc"] for e in raised.value.errors or []] == [["body", "credit"]]
    assert coauthoring.validate_invitee(" Bob ", " photo ") == ("bob", "photo")


def test_credits_travel_from_invitation_to_publication() -> None:
    change = authoring.create_post(
        post_id="p1",
        author_id="author",
        request=NewPostRequest("hi", ("bob",), ("photo",)),
        publish_mode="when_accepted",
        invitees=[NewInvitation("bob", "i1", "photo")],
        now=NOW,
    )
    (created,) = change.events
    assert isinstance(created, PostCreated)
    assert [i.credit for i in created.invitations] == ["photo"]
    accepted = coauthoring.accept_invitation(change.post, "i1", NOW, NOW)
    (published,) = accepted.events
    assert isinstance(published, PostPublished)
    assert published.coauthor_credits == {"bob": "photo"}
    added = coauthoring.accept_invitation(
        authoring.create_post(
            post_id="p2",
            author_id="author",
            request=NewPostRequest("hi", ("bob",)),
            publish_mode="now",
            invitees=[NewInvitation("bob", "i2", "music")],
            now=NOW,
        ).post,
        "i2",
        NOW,
        NOW,
    ).events
    assert [(type(e), getattr(e, "credit", None)) for e in added] == [(PostCoauthorAdded, "music")]


def test_text_of_exactly_the_maximum_length_is_valid() -> None:
    request = authoring.validate_new_post("x" * 500, [], max_coauthors=5, max_text_length=500)
    assert len(request.text) == 500


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        ("unknown_user", Unprocessable),
        ("self", Unprocessable),
        ("blocked", Forbidden),
        ("policy_nobody", Forbidden),
        ("policy_following", Forbidden),
        # The inviter itself no longer exists: its token outlived its account.
        ("inviter_unknown", Unauthorized),
    ],
)
def test_ineligible_invitee_is_refused_by_reason(reason: str, problem: type[Problem]) -> None:
    answers = [
        Eligibility("bob", "bob-id", True, None),
        Eligibility("x", None, False, reason),
    ]
    with pytest.raises(problem):
        coauthoring.check_invitees(answers)


def test_a_bad_handle_outranks_a_refusal() -> None:
    answers = [Eligibility("a", None, False, "blocked"), Eligibility("b", None, False, "self")]
    with pytest.raises(Unprocessable):
        coauthoring.check_invitees(answers)


def test_all_eligible_invitees_pass() -> None:
    coauthoring.check_invitees([Eligibility("bob", "bob-id", True, None)])


# -- creating ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "invitees", "status", "events"),
    [
        ("now", [("bob", "i1")], "published", ["post.created", "post.published"]),
        ("now", [], "published", ["post.created", "post.published"]),
        ("when_accepted", [("bob", "i1")], "pending", ["post.created"]),
        # Nobody to wait for: published at once.
        ("when_accepted", [], "published", ["post.created", "post.published"]),
    ],
)
def test_create_post_status_and_events_by_mode(
    mode: str, invitees: list[tuple[str, str]], status: str, events: list[str]
) -> None:
    change = authoring.create_post(
        post_id="p1",
        author_id="author",
        request=NewPostRequest("hi", ()),
        publish_mode=mode,  # type: ignore[arg-type]
        invitees=[NewInvitation(*invitee) for invitee in invitees],
        now=NOW,
    )
    assert change.post.status == status
    assert event_types(change) == events
    created = change.events[0]
    assert isinstance(created, PostCreated)
    assert [(i.invitee_id, i.invitation_id) for i in created.invitations] == invitees


def test_creating_with_oneself_as_invitee_is_unprocessable() -> None:
    with pytest.raises(Unprocessable):
        authoring.create_post(
            post_id="p1",
            author_id="author",
            request=NewPostRequest("hi", ()),
            publish_mode="now",
            invitees=[NewInvitation("author", "i1")],
            now=NOW,
        )


# -- who may see and act -------------------------------------------------------------------

PENDING = a_post(invited("inv"), accepted("acc"), status="pending", mode="when_accepted")
PUBLISHED = a_post(invited("inv"), accepted("acc"))
DELETED = replace(PUBLISHED, status="deleted", deleted_at=NOW)


@pytest.mark.parametrize(
    ("post", "viewer", "visible"),
    [
        (PUBLISHED, "stranger", True),
        (PUBLISHED, "author", True),
        (PENDING, "author", True),
        (PENDING, "inv", True),
        (PENDING, "acc", True),
        (PENDING, "stranger", False),
        (DELETED, "author", False),
        (DELETED, "acc", False),
    ],
)
def test_who_can_view(post: Post, viewer: str, visible: bool) -> None:
    assert core.can_view(post, viewer) is visible


@pytest.mark.parametrize(
    ("post", "actor", "problem"),
    [
        (PUBLISHED, "author", None),
        (PENDING, "author", None),
        (PUBLISHED, "acc", Forbidden),
        (PUBLISHED, "stranger", Forbidden),
        (PENDING, "inv", Forbidden),
        (PENDING, "stranger", NotFound),
        (DELETED, "author", NotFound),
        (None, "author", NotFound),
    ],
)
def test_only_the_author_deletes_or_publishes(
    post: Post | None, actor: str, problem: type[Problem] | None
) -> None:
    for transition in (authoring.delete_post, coauthoring.publish_post):
        if problem is None:
            transition(post, actor, NOW)
        else:
            with pytest.raises(problem):
                transition(post, actor, NOW)


def test_deleting_announces_the_credited_coauthors() -> None:
    change = authoring.delete_post(PUBLISHED, "author", LATER)
    assert change.post.status == "deleted"
    assert change.post.deleted_at == LATER
    assert change.events == (
        PostDeleted(post_id="p1", author_id="author", coauthor_ids=("acc",), deleted_at=LATER),
    )


def test_publishing_a_pending_post_early_credits_who_accepted() -> None:
    change = coauthoring.publish_post(PENDING, "author", LATER)
    assert change.post.status == "published"
    (published,) = change.events
    assert isinstance(published, PostPublished)
    assert published.coauthor_ids == ("acc",)
    assert published.published_at == LATER
    assert published.publish_mode == "when_accepted"


def test_publishing_a_published_post_changes_nothing() -> None:
    assert coauthoring.publish_post(PUBLISHED, "author", LATER) == Change(PUBLISHED)


# -- inviting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invitee", "coauthors", "problem"),
    [
        ("new", (), None),
        ("author", (), Unprocessable),
        ("inv", (invited("inv"),), Unprocessable),
        ("acc", (accepted("acc"),), Unprocessable),
        ("new", tuple(invited(f"u{n}") for n in range(5)), Unprocessable),
        ("new", tuple(invited(f"u{n}") for n in range(4)), None),
    ],
)
def test_invite_rules(
    invitee: str, coauthors: tuple[Coauthor, ...], problem: type[Problem] | None
) -> None:
    def invite() -> Change:
        return coauthoring.invite_coauthor(
            a_post(*coauthors),
            "author",
            invitee_id=invitee,
            invitation_id="i-new",
            max_coauthors=5,
            max_invitations=50,
            now=NOW,
        )

    if problem is not None:
        with pytest.raises(problem):
            invite()
        return
    change = invite()
    assert change.post.coauthor(invitee) == Coauthor(invitee, "i-new", "invited", NOW)
    assert change.events == (
        PostCoauthorInvited(
            post_id="p1",
            author_id="author",
            invitation_id="i-new",
            invitee_id=invitee,
            invited_at=NOW,
            post_text="hello",
        ),
    )


@pytest.mark.parametrize(
    ("coauthors", "former", "problem"),
    [
        ((invited("inv"),), ("f1",), Unprocessable),  # two accounts invited already
        ((), ("f1", "f2"), Unprocessable),  # revoked invitations count too
        ((invited("inv"),), (), None),
    ],
)
def test_a_post_has_a_bounded_number_of_accounts_ever_invited(
    coauthors: tuple[Coauthor, ...], former: tuple[str, ...], problem: type[Problem] | None
) -> None:
    post = replace(a_post(*coauthors), former_coauthor_ids=former)

    def invite() -> Change:
        return coauthoring.invite_coauthor(
            post,
            "author",
            invitee_id="new",
            invitation_id="i-new",
            max_coauthors=5,
            max_invitations=2,
            now=NOW,
        )

    if problem is None:
        assert invite().post.coauthor("new") is not None
        return
    with pytest.raises(problem, match="at most 2 accounts invited"):
        invite()


@pytest.mark.parametrize(("actor", "problem"), [("acc", Forbidden), ("stranger", Forbidden)])
def test_only_the_author_invites(actor: str, problem: type[Problem]) -> None:
    with pytest.raises(problem):
        coauthoring.invite_coauthor(
            PUBLISHED,
            actor,
            invitee_id="new",
            invitation_id="i",
            max_coauthors=5,
            max_invitations=50,
            now=NOW,
        )


# -- removing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "target", "reason", "was_credited"),
    [
        ("author", "acc", "removed", True),
        ("author", "inv", "revoked", False),
        ("acc", "acc", "left", True),
        ("inv", "inv", "declined", False),
    ],
)
def test_removal_reason_depends_on_who_removes_whom(
    actor: str, target: str, reason: str, was_credited: bool
) -> None:
    change = coauthoring.remove_coauthor(PUBLISHED, actor, target, NOW)
    assert change.post.coauthor(target) is None
    assert change.events == (
        PostCoauthorRemoved(
            post_id="p1",
            author_id="author",
            coauthor_id=target,
            reason=reason,  # type: ignore[arg-type]
            removed_at=NOW,
            was_credited=was_credited,
            invitation_id=f"inv-{target}",
        ),
    )


@pytest.mark.parametrize(
    ("post", "actor", "target", "problem"),
    [
        (PUBLISHED, "acc", "inv", Forbidden),
        (PUBLISHED, "stranger", "acc", Forbidden),
        (PUBLISHED, "stranger", None, Forbidden),
        (PUBLISHED, "author", None, NotFound),
        (PENDING, "stranger", "acc", NotFound),
        (DELETED, "author", "acc", NotFound),
    ],
)
def test_removal_by_anyone_else_is_refused(
    post: Post, actor: str, target: str | None, problem: type[Problem]
) -> None:
    with pytest.raises(problem):
        coauthoring.remove_coauthor(post, actor, target, NOW)


@pytest.mark.parametrize(
    ("post", "who"), [(PUBLISHED, "acc"), (PUBLISHED, "inv"), (PENDING, "acc")]
)
def test_leaving_again_changes_nothing(post: Post, who: str) -> None:
    left = coauthoring.remove_coauthor(post, who, who, NOW).post
    assert coauthoring.remove_coauthor(left, who, who, LATER) == Change(left)


def test_an_invitee_whose_invitation_ended_may_leave_again() -> None:
    dropped = coauthoring.drop_invitation(PUBLISHED, "inv-inv", NOW).post
    assert coauthoring.remove_coauthor(dropped, "inv", "inv", LATER) == Change(dropped)


@pytest.mark.parametrize(
    ("post", "problem"),
    [
        (PUBLISHED, NotFound),  # never on the post
        (DELETED, NotFound),
    ],
)
def test_leaving_a_post_one_was_never_on_is_not_found(post: Post, problem: type[Problem]) -> None:
    with pytest.raises(problem):
        coauthoring.remove_coauthor(post, "stranger", "stranger", NOW)


def test_a_former_coauthor_cannot_leave_a_deleted_post() -> None:
    left = coauthoring.remove_coauthor(PUBLISHED, "acc", "acc", NOW).post
    gone = replace(left, status="deleted", deleted_at=NOW)
    with pytest.raises(NotFound):
        coauthoring.remove_coauthor(gone, "acc", "acc", LATER)


def test_revoking_the_last_invitation_of_a_pending_post_publishes_it() -> None:
    change = coauthoring.remove_coauthor(PENDING, "author", "inv", LATER)
    assert change.post.status == "published"
    assert event_types(change) == ["post.coauthor_removed", "post.published"]


# -- invitation answers --------------------------------------------------------------------


def test_acceptance_credits_and_announces_on_a_published_post() -> None:
    change = coauthoring.accept_invitation(PUBLISHED, "inv-inv", LATER, LATER)
    assert change.post.coauthor("inv") == replace(
        invited("inv"), status="accepted", accepted_at=LATER
    )
    assert change.events == (
        PostCoauthorAdded(
            post_id="p1",
            author_id="author",
            coauthor_id="inv",
            invitation_id="inv-inv",
            added_at=LATER,
        ),
    )


def test_last_acceptance_of_a_pending_post_publishes_it_with_every_credit() -> None:
    change = coauthoring.accept_invitation(PENDING, "inv-inv", LATER, LATER)
    assert change.post.status == "published"
    (published,) = change.events
    assert isinstance(published, PostPublished)
    assert set(published.coauthor_ids) == {"inv", "acc"}


@pytest.mark.parametrize(
    ("post", "invitation_id"),
    [
        (DELETED, "inv-inv"),  # the post is gone
        (PUBLISHED, "inv-acc"),  # already accepted: a redelivery
        (PUBLISHED, "inv-unknown"),  # revoked or removed meanwhile
    ],
)
def test_acceptance_that_no_longer_applies_changes_nothing(post: Post, invitation_id: str) -> None:
    assert coauthoring.accept_invitation(post, invitation_id, LATER, LATER) == Change(post)


def test_ended_invitation_drops_the_invitee_without_events() -> None:
    change = coauthoring.drop_invitation(PUBLISHED, "inv-inv", LATER)
    assert change.post.coauthors == (accepted("acc"),)
    assert change.events == ()


@pytest.mark.parametrize("invitation_id", ["inv-acc", "inv-unknown"])
def test_ended_invitation_never_takes_a_credit_back(invitation_id: str) -> None:
    assert coauthoring.drop_invitation(PUBLISHED, invitation_id, LATER) == Change(PUBLISHED)


def test_last_ended_invitation_of_a_pending_post_publishes_it() -> None:
    change = coauthoring.drop_invitation(PENDING, "inv-inv", LATER)
    assert change.post.status == "published"
    assert event_types(change) == ["post.published"]


def test_applying_the_same_answer_twice_gives_the_same_post() -> None:
    once = coauthoring.accept_invitation(PUBLISHED, "inv-inv", LATER, LATER).post
    assert coauthoring.accept_invitation(once, "inv-inv", LATER, LATER) == Change(once)


# -- accounts deleted and blocks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status", "events"),
    [
        ("author", "deleted", ["post.deleted"]),
        ("acc", "published", ["post.coauthor_removed"]),
        ("inv", "published", ["post.coauthor_removed"]),
        ("stranger", "published", []),
    ],
)
def test_deleted_account_loses_its_posts_and_credits(
    user: str, status: str, events: list[str]
) -> None:
    change = coauthoring.remove_deleted_account(PUBLISHED, user, "delete", LATER)
    assert change.post.status == status
    assert event_types(change) == events
    if user != "author":
        assert change.post.coauthor(user) is None


@pytest.mark.parametrize(
    ("blocker", "blocked", "removed"),
    [
        ("author", "acc", "acc"),
        ("acc", "author", "acc"),
        ("inv", "author", "inv"),
        ("acc", "inv", None),  # neither is the author: not this post's business
        ("author", "stranger", None),
    ],
)
def test_block_between_author_and_coauthor_removes_the_entry(
    blocker: str, blocked: str, removed: str | None
) -> None:
    change = coauthoring.separate_blocked_pair(PUBLISHED, blocker, blocked, LATER)
    if removed is None:
        assert change == Change(PUBLISHED)
        return
    (event,) = change.events
    assert isinstance(event, PostCoauthorRemoved)
    assert (event.coauthor_id, event.reason) == (removed, "blocked")


# -- the invite rate limit -----------------------------------------------------------------


def test_invite_window_is_the_hour_and_retry_after_its_end() -> None:
    start, seconds_left = coauthoring.invite_window(NOW)
    assert start == datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert seconds_left == 30 * 60 + 1


@pytest.mark.parametrize(("count", "limited"), [(49, False), (50, False), (51, True)])
def test_invite_budget(count: int, limited: bool) -> None:
    if limited:
        with pytest.raises(TooManyRequests) as raised:
            coauthoring.check_invite_budget(count, 50, 120)
        assert raised.value.headers["Retry-After"] == "120"
    else:
        coauthoring.check_invite_budget(count, 50, 120)
