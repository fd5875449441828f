"""The edit-proposal state machine (posts.editing.rules): every transition and every refused one."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from posts.coauthoring.rules import remove_coauthor
from posts.core.rules import Change, Coauthor, InvalidPost, Post, PostNotFound
from posts.editing import rules as editing
from posts.editing.rules import EditConflict, EditLimits, EditNotFound, NotAnApprover
from shared.events.posts import PostEdited, PostEditEnded, PostEditProposed
from shared.problems import NotFound
from shared.public_media import MAX_ALT_TEXT, AttachedMedia

NOW = datetime(2026, 3, 1, tzinfo=UTC)
LIMITS = EditLimits(
    window=timedelta(days=7),
    max_edits=2,
    approval_window=timedelta(hours=72),
    max_text_length=500,
)
SOLO = Post(
    id="p",
    author_id="ann",
    text="teh original",
    publish_mode="now",
    status="published",
    created_at=NOW,
    published_at=NOW,
)
SHARED = replace(
    SOLO,
    coauthors=(
        Coauthor("bob", "inv-1", "accepted", NOW, NOW),
        Coauthor("cat", "inv-2", "accepted", NOW, NOW),
        Coauthor("ivy", "inv-3", "invited", NOW),
    ),
)


def proposed(post: Post, by: str = "ann", text: str = "the original", **kw: object) -> Post:
    args: dict[str, object] = {
        "edit_id": "e1",
        "proposer_id": by,
        "text": text,
        "base_version": None,
        "limits": LIMITS,
        "now": NOW,
    } | kw
    return editing.propose(post, **args).post  # type: ignore[arg-type]


def test_an_edit_of_a_solo_post_applies_at_once_and_keeps_the_old_text() -> None:
    change = editing.propose(
        SOLO,
        edit_id="e1",
        proposer_id="ann",
        text="the original",
        base_version=1,
        limits=LIMITS,
        now=NOW,
    )
    assert change.post.text == "the original"
    assert change.post.content_version == 2
    assert change.post.edited_at == NOW
    assert change.post.edit is not None
    assert change.post.edit.status == "applied"
    assert [(r.version, r.text) for r in editing.history(change.post)] == [
        (1, "teh original"),
        (2, "the original"),
    ]
    (event,) = change.events
    assert isinstance(event, PostEdited)
    assert event.version == 2


def test_an_edit_of_a_shared_post_waits_for_every_other_credited_author() -> None:
    change = editing.propose(
        SHARED,
        edit_id="e1",
        proposer_id="bob",
        text="fixed",
        base_version=None,
        limits=LIMITS,
        now=NOW,
    )
    assert change.post.text == "teh original"
    assert change.post.edit is not None
    assert [a.user_id for a in change.post.edit.approvals] == ["ann", "cat"]
    (event,) = change.events
    assert isinstance(event, PostEditProposed)
    assert event.approver_ids == ("ann", "cat")


def test_it_applies_only_with_the_last_approval() -> None:
    post = proposed(SHARED)
    after_bob = editing.answer(post, "e1", "bob", "approved", NOW)
    assert after_bob.post.text == "teh original"
    assert not after_bob.events
    after_cat = editing.answer(after_bob.post, "e1", "cat", "approved", NOW)
    assert after_cat.post.text == "the original"
    assert after_cat.post.content_version == 2
    assert isinstance(after_cat.events[0], PostEdited)


def test_one_rejection_ends_it_and_nothing_applies() -> None:
    post = editing.answer(proposed(SHARED), "e1", "bob", "approved", NOW).post
    change = editing.answer(post, "e1", "cat", "rejected", NOW)
    assert change.post.text == "teh original"
    assert change.post.edit is not None
    assert change.post.edit.status == "rejected"
    (event,) = change.events
    assert isinstance(event, PostEditEnded)
    assert event.actor_id == "cat"
    with pytest.raises(EditConflict):
        editing.answer(change.post, "e1", "bob", "rejected", NOW)


def test_repeating_an_answer_changes_nothing_and_changing_it_is_a_conflict() -> None:
    post = editing.answer(proposed(SHARED), "e1", "bob", "approved", NOW).post
    assert editing.answer(post, "e1", "bob", "approved", NOW).post == post
    with pytest.raises(EditConflict):
        editing.answer(post, "e1", "bob", "rejected", NOW)


def test_non_authors_and_invitees_learn_nothing_and_the_proposer_does_not_answer() -> None:
    with pytest.raises(PostNotFound):
        proposed(SHARED, by="eve")
    with pytest.raises(PostNotFound):
        proposed(SHARED, by="ivy")
    post = proposed(SHARED)
    with pytest.raises(PostNotFound):
        editing.answer(post, "e1", "eve", "approved", NOW)
    with pytest.raises(NotAnApprover):
        editing.answer(post, "e1", "ann", "approved", NOW)
    with pytest.raises(EditNotFound):
        editing.answer(post, "other", "bob", "approved", NOW)


def test_one_open_proposal_at_a_time() -> None:
    with pytest.raises(EditConflict):
        proposed(proposed(SHARED), by="bob", edit_id="e2")


def test_a_stale_proposal_is_a_conflict() -> None:
    with pytest.raises(EditConflict):
        proposed(SHARED, base_version=2)


def test_a_proposal_past_its_time_expires_and_refuses_late_approvals() -> None:
    post = editing.answer(proposed(SHARED), "e1", "bob", "approved", NOW).post
    late = NOW + timedelta(hours=72)
    with pytest.raises(EditConflict):
        editing.answer(post, "e1", "cat", "approved", late)
    change = editing.expire(post, late)
    assert change.post.edit is not None
    assert change.post.edit.status == "expired"
    assert change.post.text == "teh original"
    assert editing.expire(change.post, late).post == change.post
    assert editing.expire(post, NOW).post == post
    # A new proposal may follow an expired one, even before the sweep wrote the expiry.
    assert proposed(post, edit_id="e2", now=late).edit is not None


def test_the_proposer_or_the_author_withdraws_others_may_not() -> None:
    post = proposed(SHARED, by="bob")
    with pytest.raises(editing.NotTheProposer):
        editing.withdraw(post, "e1", "cat", NOW)
    change = editing.withdraw(post, "e1", "ann", NOW)
    assert change.post.edit is not None
    assert change.post.edit.status == "withdrawn"
    assert editing.withdraw(change.post, "e1", "bob", NOW).post == change.post
    applied = editing.answer(
        editing.answer(post, "e1", "ann", "approved", NOW).post, "e1", "cat", "approved", NOW
    ).post
    with pytest.raises(EditConflict):
        editing.withdraw(applied, "e1", "bob", NOW)


def test_a_coauthor_who_leaves_is_no_longer_needed() -> None:
    post = editing.answer(proposed(SHARED), "e1", "bob", "approved", NOW).post
    change = remove_coauthor(post, "cat", "cat", NOW)
    assert change.post.text == "the original"
    assert any(isinstance(e, PostEdited) for e in change.events)


def test_a_proposer_who_leaves_withdraws_the_proposal() -> None:
    change = remove_coauthor(proposed(SHARED, by="bob"), "bob", "bob", NOW)
    assert change.post.edit is not None
    assert change.post.edit.status == "withdrawn"


@pytest.mark.parametrize(
    ("post", "now", "text"),
    [
        (replace(SOLO, status="pending", published_at=None), NOW, "x"),
        (SOLO, NOW + timedelta(days=8), "x"),
    ],
)
def test_only_published_posts_within_the_window_are_edited(
    post: Post, now: datetime, text: str
) -> None:
    with pytest.raises(EditConflict):
        proposed(post, text=text, now=now)


def test_the_number_of_edits_is_limited() -> None:
    once = proposed(SOLO, text="one")
    twice = proposed(once, text="two", edit_id="e2")
    with pytest.raises(EditConflict):
        proposed(twice, text="three", edit_id="e3")


@pytest.mark.parametrize("text", ["teh original", "", "\u200b", "x" * 501])
def test_an_edit_must_change_the_text_and_follow_its_rules(text: str) -> None:
    with pytest.raises(InvalidPost):
        proposed(SOLO, text=text)


# -- media and alt text --------------------------------------------------------------


def picture(media_id: str, alt_text: str | None = None, version: int = 1) -> AttachedMedia:
    return AttachedMedia(id=media_id, kind="image", alt_text=alt_text, alt_text_version=version)


ILLUSTRATED = replace(SHARED, media=(picture("old", "a cat"), picture("kept", "a dgo")))


def answered_by_all(post: Post) -> Change:
    change = editing.answer(post, "e1", "bob", "approved", NOW)
    return editing.answer(change.post, "e1", "cat", "approved", NOW)


def test_a_picture_swap_and_an_alt_text_fix_apply_together_once_everyone_approves() -> None:
    pending = proposed(
        ILLUSTRATED,
        text=None,
        media_ids=["new", "kept"],
        alt_texts={"kept": " a dog "},
        reserved=(picture("new", "a bird"),),
    )
    assert pending.media == ILLUSTRATED.media
    change = answered_by_all(pending)
    assert [(m.id, m.alt_text, m.alt_text_version) for m in change.post.media] == [
        ("new", "a bird", 1),
        ("kept", "a dog", 2),
    ]
    assert change.post.content_version == 2
    (event,) = change.events
    assert isinstance(event, PostEdited)
    assert event.media == change.post.media
    assert event.removed_media_ids == ("old",)
    assert [r.media for r in editing.history(change.post)] == [
        ILLUSTRATED.media,
        change.post.media,
    ]


def test_an_alt_text_edited_meanwhile_is_overridden_as_a_newer_version() -> None:
    pending = proposed(ILLUSTRATED, text=None, alt_texts={"kept": "a dog"})
    recaptioned = replace(
        pending, media=(picture("old", "a cat"), picture("kept", "a puppy", version=2))
    )
    (kept,) = [m for m in answered_by_all(recaptioned).post.media if m.id == "kept"]
    assert (kept.alt_text, kept.alt_text_version) == ("a dog", 3)


@pytest.mark.parametrize("status", ["rejected", "withdrawn", "expired"])
def test_an_edit_that_does_not_apply_frees_the_uploads_it_reserved(status: str) -> None:
    pending = proposed(
        ILLUSTRATED, text=None, media_ids=["new"], reserved=(picture("new"),), by="bob"
    )
    if status == "rejected":
        change = editing.answer(pending, "e1", "cat", "rejected", NOW)
    elif status == "withdrawn":
        change = editing.withdraw(pending, "e1", "bob", NOW)
    else:
        change = editing.expire(pending, NOW + timedelta(hours=72))
    (event,) = change.events
    assert isinstance(event, PostEditEnded)
    assert event.status == status
    assert event.released_media_ids == ("new",)
    assert change.post.media == ILLUSTRATED.media


def test_media_follow_the_limits_of_a_new_post() -> None:
    video = AttachedMedia(id="v", kind="video")
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, media_ids=["old", "v"], reserved=(video,))
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, media_ids=["old", "old"])
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, media_ids=[f"n{i}" for i in range(5)])
    with pytest.raises(NotFound):
        proposed(ILLUSTRATED, media_ids=["nobody-reserved-it"])


def test_an_alt_text_is_for_a_medium_the_edited_post_carries() -> None:
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, text=None, media_ids=["kept"], alt_texts={"old": "gone"})
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, text=None, alt_texts={"kept": "x" * (MAX_ALT_TEXT + 1)})


def test_an_edit_that_changes_nothing_is_refused_media_included() -> None:
    with pytest.raises(InvalidPost):
        proposed(ILLUSTRATED, text=None, media_ids=["old", "kept"], alt_texts={"old": "a cat"})
    removed_all = proposed(ILLUSTRATED, text=None, media_ids=[])
    assert removed_all.edit is not None
    assert removed_all.edit.media == ()


def test_removing_every_medium_needs_text() -> None:
    wordless = replace(ILLUSTRATED, text="")
    with pytest.raises(InvalidPost):
        proposed(wordless, text=None, media_ids=[])


def test_only_the_uploads_not_on_the_post_are_reserved_and_only_for_a_valid_proposal() -> None:
    def reserve(by: str = "bob", base_version: int | None = None, **kw: object) -> tuple[str, ...]:
        args: dict[str, object] = {
            "proposer_id": by,
            "text": None,
            "base_version": base_version,
            "limits": LIMITS,
            "now": NOW,
            "media_ids": ["kept", "new"],
            "alt_texts": None,
        } | kw
        return editing.media_to_reserve(ILLUSTRATED, **args)  # type: ignore[arg-type]

    assert reserve() == ("new",)
    with pytest.raises(PostNotFound):
        reserve(by="ivy")
    with pytest.raises(EditConflict):
        reserve(base_version=5)
    with pytest.raises(InvalidPost):
        reserve(text="\x00")
    with pytest.raises(InvalidPost):
        reserve(alt_texts={"old": "gone"})
    with pytest.raises(InvalidPost):
        reserve(media_ids=["new", "new"])
