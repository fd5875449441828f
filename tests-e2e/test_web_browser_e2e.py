"""The web client in a real browser: people act through the UI only, each in their own context.

Screenshots of every main view land in test-artifacts/web/ (gitignored).
"""

import asyncio
import re
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Locator, expect
from web_ui import AXE, CHROMIUM, PASSWORD, Person, chromium, sign_up

type SignUp = Callable[..., Awaitable[Person]]


@pytest.fixture(scope="module")
async def browser(stack: str) -> AsyncIterator[Browser]:
    """Debian's Chromium, one per module; each person gets a context of their own."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install -y chromium; `make test` installs it when run as root)"
        )
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def person(browser: Browser, stack: str) -> AsyncIterator[SignUp]:
    """Factory: `await person("ada")` signs a new account up in a browser context of its own."""
    people: list[Person] = []

    async def signed_up(prefix: str, *, phone: bool = False, locale: str = "en-GB") -> Person:
        people.append(await sign_up(browser, stack, prefix, phone=phone, locale=locale))
        return people[-1]

    yield signed_up
    for someone in people:
        await someone.page.context.close()
    # No console error and no refused or failed request but those the story expects.
    assert {someone.handle: someone.problems for someone in people if someone.problems} == {}


async def author_and_invitees(person: SignUp, *invitees: str) -> list[Person]:
    """Ada, then accounts that let anyone invite them (chosen in their settings)."""
    people = [await person("ada")]
    for prefix in invitees:
        people.append(await person(prefix))
        await people[-1].allow_invitations_from_everyone()
    return people


async def test_a_follower_sees_the_posts_of_whom_they_follow_and_the_followed_is_told_live(
    person: SignUp,
) -> None:
    ada = await person("ada")
    bob = await person("bob", phone=True)
    await bob.write_post("Bob's first sketch", [], when_accepted=False)
    await expect(bob.post_card("Bob's first sketch")).to_be_visible()

    await ada.open_profile(bob.handle)
    await ada.click("Follow")

    await expect(ada.status).to_have_text(f"You follow @{bob.handle}.")
    await expect(ada.page.locator('[data-count="followers"]')).to_have_text("1 follower")
    await expect(ada.post_card("Bob's first sketch")).to_contain_text("author")
    await ada.screenshot("profile")
    await expect(bob.page.locator("#unread-count")).to_have_text("1")  # live, no reload
    await expect(bob.activity).to_have_text(f"@{ada.handle} followed you.")
    await bob.screenshot("home-narrow-screen")
    await ada.open("Home")
    await expect(ada.post_card("Bob's first sketch")).to_be_visible()
    await ada.screenshot("home")


async def test_a_post_published_now_credits_its_coauthor_once_they_accept(
    person: SignUp,
) -> None:
    ada = await person("ada")
    bob = await person("bob")
    await bob.allow_invitations_from_everyone()
    await bob.screenshot("settings")
    await bob.open("Invitations")

    await ada.write_post("A mural, painted together", [], when_accepted=False)
    await ada.open_post("A mural, painted together")
    await ada.invite(bob.handle, credit="photo")

    invitation = bob.page.locator("li.card", has_text=f"@{ada.handle}")
    await expect(invitation).to_contain_text("pending")  # arrives live in the open box
    await expect(invitation).to_contain_text("credited for photo")
    await expect(invitation.locator("blockquote")).to_have_text("A mural, painted together")
    await expect(bob.page.locator("#pending-count")).to_have_text("1")
    await bob.screenshot("invitations")
    await invitation.get_by_role("button", name="Accept").click()
    await expect(bob.status).to_have_text("You are now a co-author.")
    await bob.open("Home")
    card = bob.post_card("A mural, painted together")
    await expect(card.locator(".authors")).to_contain_text(f"Photo: Bob @{bob.handle}")

    await expect(ada.coauthor(bob.handle)).to_contain_text("Photo:")
    await expect(ada.coauthor(bob.handle)).to_contain_text("co-author")
    await ada.screenshot("post")


async def test_a_post_waiting_for_answers_is_published_with_whoever_accepted(
    person: SignUp,
) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    await ada.write_post(
        "A duet, once both have answered", [bob.handle, cat.handle], when_accepted=True
    )
    await expect(ada.heading).to_have_text("Post")
    await expect(ada.page.get_by_text("pending: published when every")).to_be_visible()

    await bob.answer_invitation("Accept")
    await expect(ada.coauthor(bob.handle)).to_contain_text("co-author")  # live on ada's page
    await cat.answer_invitation("Decline")

    await expect(ada.page.locator("article.post .tag.pending")).to_have_count(0)
    await expect(ada.page.locator("article.post .meta")).to_contain_text("published")
    await expect(ada.coauthor(cat.handle)).to_have_count(0)
    await cat.page.get_by_label("Status").select_option("declined")
    await expect(cat.page.locator("li.card")).to_contain_text("declined")
    await cat.open("Notifications")
    await expect(cat.page.locator('[data-type="post.published"]')).to_have_count(0)
    await ada.open("Notifications")
    await expect(ada.page.locator('[data-type="invitation.declined"]')).to_be_visible()
    await ada.screenshot("notifications")
    await ada.click("Mark all as read")
    await expect(ada.page.locator("#unread-count")).to_have_text("")


async def test_a_coauthor_leaves_and_the_author_removes_another(person: SignUp) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    await ada.write_post("Three hands on one page", [bob.handle, cat.handle], when_accepted=False)
    for invitee in (bob, cat):
        await invitee.answer_invitation("Accept")
    await ada.open("Home")
    await ada.open_post("Three hands on one page")
    await expect(ada.coauthor(cat.handle)).to_contain_text("co-author")

    await bob.open_profile(bob.handle)
    await bob.open_post("Three hands on one page")
    await bob.click("Leave this post")
    await expect(bob.status).to_have_text("You left the post.")
    await expect(ada.coauthor(bob.handle)).to_have_count(0)  # live: ada is told bob left

    await ada.coauthor(cat.handle).get_by_role("button", name="Remove").click()
    await expect(ada.coauthor(cat.handle)).to_have_count(0)
    await cat.open("Notifications")
    await expect(cat.page.locator('[data-type="coauthor.removed"]')).to_be_visible()
    await cat.open_profile(cat.handle)
    await expect(cat.page.get_by_text("No posts yet.")).to_be_visible()


async def test_the_author_invites_revokes_publishes_early_and_deletes_from_the_post_page(
    person: SignUp,
) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    # Right after "Publish now" the page reloads and asks for the post's insights; until the
    # timeline has handled post.published they answer 404 (the section shows nothing): the
    # timeline decides who may see them from its own card of the published post.
    ada.expect_refusal(404)
    await ada.write_post("Not yet: waiting for Bob", [bob.handle], when_accepted=True)
    await ada.page.locator("#invite").get_by_role("combobox", name="Handle").fill(cat.handle)
    await ada.click("Invite")
    await expect(ada.coauthor(cat.handle)).to_contain_text("invited, no answer yet")

    await ada.coauthor(cat.handle).get_by_role("button", name="Revoke invitation").click()
    await expect(ada.coauthor(cat.handle)).to_have_count(0)
    await ada.click("Publish now")
    await expect(ada.page.locator("article.post .tag.pending")).to_have_count(0)
    await bob.open("Invitations")
    await expect(bob.page.locator("li.card")).to_contain_text("pending")  # still answerable
    await ada.page.get_by_text("Delete this post…").click()
    await ada.click("Yes, delete it")

    await expect(ada.heading).to_have_text("Home")
    await expect(ada.status).to_have_text("The post is deleted.")
    await expect(bob.page.locator("li.card")).to_contain_text("cancelled")  # live in bob's box


async def test_a_blocked_user_is_told_clearly_the_blockers_profile_is_not_there(
    person: SignUp,
) -> None:
    ada = await person("ada")
    bob = await person("bob")
    ada.expect_refusal(404)  # the blocker's profile, to the blocked
    await bob.open_profile(ada.handle)
    await bob.click("Block")
    await expect(bob.status).to_have_text(f"You blocked @{ada.handle}.")

    await ada.open_profile(bob.handle)

    # Issue 23: from the moment the block returns, the blocker's profile is not there for the
    # blocked account (404), and the client says so rather than offering to follow.
    await expect(ada.error).to_contain_text("Not Found")
    await expect(ada.page.get_by_role("button", name="Follow", exact=True)).to_have_count(0)
    await ada.screenshot("blocked-refusal")
    await ada.page.get_by_role("button", name="Sign out").click()
    await expect(ada.page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(ada.page.get_by_role("search")).to_be_hidden()
    await expect(ada.page.locator("#error")).to_be_empty()
    await ada.screenshot("sign-in")


async def test_a_remix_asked_approved_and_revoked_in_the_browser(person: SignUp) -> None:
    ada, bob = await person("ada"), await person("bob")
    await ada.open("Settings")
    await ada.page.get_by_label("once I (or a co-author) approve").check()
    await ada.click("Save")
    await expect(ada.status).to_have_text("Your settings are saved.")
    await ada.write_post("Ada's original", [], when_accepted=False)

    await bob.open_profile(ada.handle)
    await bob.open_post("Ada's original")
    remix = bob.page.locator("#remix")
    await remix.get_by_label("Your text").fill("Bob's remix")
    await remix.get_by_role("button", name="Remix").click()
    await expect(bob.status).to_have_text(
        "Your remix waits for the original's authors to approve it."
    )
    shown = bob.page.locator(".remix-of")
    await expect(shown).to_have_attribute("data-remix-status", "pending")

    await ada.open("Remix requests")
    await expect(ada.page.locator("[data-remix-request-id]")).to_contain_text("Bob's remix")
    await ada.screenshot("remix-requests")
    await ada.click("Approve")
    await expect(ada.status).to_have_text("The remix now shows your post.")
    await expect(shown).to_contain_text("Ada's original")  # bob's page reloads on its own
    await bob.screenshot("remix-approved")

    await ada.open_profile(ada.handle)
    await ada.open_post("Ada's original")
    await expect(ada.page.locator("[data-remix-id]")).to_contain_text("Bob's remix")
    await ada.click("Revoke remix")
    await expect(ada.status).to_have_text("The remix no longer shows your post.")
    await expect(shown).to_have_attribute("data-remix-status", "revoked")
    await expect(shown).not_to_contain_text("Ada's original")


async def test_a_follower_likes_and_replies_and_the_author_sees_both_in_the_insights(
    person: SignUp,
) -> None:
    ada = await person("ada")
    bob = await person("bob")
    await bob.open_profile(ada.handle)
    await bob.click("Follow")
    await expect(bob.status).to_have_text(f"You follow @{ada.handle}.")
    # Told live first, so the notification does not overwrite what posting says.
    await expect(ada.activity).to_have_text(f"@{bob.handle} followed you.")
    await ada.write_post("Ada's tune", [], when_accepted=False)

    await bob.open("Home")
    await bob.post_card("Ada's tune").get_by_role("button", name="Like (0)").click()
    await expect(
        bob.post_card("Ada's tune").get_by_role("button", name="Unlike (1)")
    ).to_be_visible()
    await bob.open_post("Ada's tune")
    await bob.page.get_by_label("Your reply").fill("Lovely")
    await bob.click("Reply")
    await expect(bob.status).to_have_text("Your reply is posted.")
    await expect(bob.page.locator("li.post", has_text="Lovely")).to_be_visible()
    await expect(bob.page.locator("#insights-title")).to_have_count(0)

    await ada.open("Home")
    await ada.open_post("Ada's tune")
    await expect(ada.page.locator('[data-insight="totals"]')).to_have_text(
        "Reached 1 account · 1 like · 1 reply"
    )
    await expect(ada.page.locator(f'[data-insight-author="{ada.handle}"]')).to_contain_text("1")
    await expect(ada.page.locator("li.post", has_text="Lovely")).to_be_visible()
    await ada.screenshot("post-insights")


async def test_export_my_data_in_the_settings_downloads_the_archive(person: SignUp) -> None:
    ada = await person("ada")
    ada.expect_refusal(429)  # the second export within the hour
    await ada.open("Settings")

    async with ada.page.expect_download() as started:
        await ada.click("Export my data")
    download = await started.value

    assert download.suggested_filename == "copost-export.zip"
    await expect(ada.status).to_have_text("Your data is downloading (copost-export.zip).")
    archive = await download.path()
    with zipfile.ZipFile(archive) as files:
        assert "account.json" in files.namelist()
    await ada.click("Export my data")
    await expect(ada.error).to_contain_text("Too Many Requests")


async def test_a_draft_survives_an_expired_access_token_and_a_new_tab_is_signed_in(
    person: SignUp,
) -> None:
    ada = await person("ada")
    ada.expect_refusal(401)  # the expired access token
    await ada.open("Home")
    compose = ada.page.locator("#compose")
    await compose.get_by_role("textbox", name="Text").fill("Written while the token expired")
    # The access token is no longer accepted (as when its 15 minutes are up): the next call
    # gets a 401, and the client renews the session with its refresh cookie.
    await ada.page.evaluate(
        "session.token = 'expired'; sessionStorage.setItem('copost.token', 'expired')"
    )
    await compose.get_by_role("button", name="Post").click()
    await expect(ada.status).to_contain_text("Your post")
    await expect(ada.page.locator("#whoami")).to_contain_text(f"@{ada.handle}")

    tab = await ada.page.context.new_page()
    await tab.goto("/")
    await expect(tab.locator("#whoami")).to_contain_text(f"@{ada.handle}")

    async with tab.expect_response("**/v1/auth/logout") as ended:
        await tab.get_by_role("button", name="Sign out").click()
    assert (await ended.value).status == 204
    another = await ada.page.context.new_page()
    await another.goto("/")
    await expect(another.locator("#sign-in")).to_be_visible()


async def test_a_draft_survives_a_session_that_ended_and_goes_once_posted(
    person: SignUp,
) -> None:
    ada = await person("ada")
    ada.expect_refusal(401)  # the dead access token, then the refresh without a cookie
    await ada.open("Home")
    compose = ada.page.locator("#compose")
    await compose.get_by_role("textbox", name="Text").fill("A thought worth keeping")
    # The session ends for good: no refresh cookie any more (as when it expired or was
    # revoked) and an access token no longer accepted. The reloads still due after signing up
    # are called off, so that the next click is what finds out.
    await ada.page.context.clear_cookies()
    await ada.page.evaluate(
        "settleTimers.forEach(clearTimeout); clearInterval(session.poll);"
        "session.token = 'expired'; sessionStorage.setItem('copost.token', 'expired')"
    )
    await ada.open("Notifications")
    await expect(ada.page.locator("#sign-in")).to_be_visible()
    await expect(ada.error).to_contain_text("Your session has ended.")

    form = ada.page.locator("#sign-in")
    await form.locator('input[name="handle"]').fill(ada.handle)
    await form.locator('input[name="password"]').fill(PASSWORD)
    await form.get_by_role("button").click()
    await expect(ada.page.locator("#whoami")).to_contain_text(f"@{ada.handle}")
    await ada.open("Home")
    text = ada.page.locator("#compose").get_by_role("textbox", name="Text")
    await expect(text).to_have_value("A thought worth keeping")
    await ada.page.locator("#compose").get_by_role("button", name="Post").click()
    await expect(ada.status).to_have_text("Your post is published.")
    await expect(ada.post_card("A thought worth keeping")).to_be_visible()
    kept = await ada.page.evaluate(
        "Object.keys(localStorage).filter((key) => key.startsWith('copost.drafts.'))"
    )
    assert kept == []
    await ada.page.reload()
    await expect(ada.page.locator("#compose").get_by_role("textbox", name="Text")).to_have_value("")


async def test_a_followed_accounts_new_post_reaches_the_pill_over_the_live_stream(
    person: SignUp,
) -> None:
    ada = await person("ada")
    bob = await person("bob", phone=True)
    await ada.write_post("Before bob came", [], when_accepted=False)
    await bob.open_profile(ada.handle)
    await bob.click("Follow")
    await expect(bob.status).to_have_text(f"You follow @{ada.handle}.")
    await bob.open("Home")
    await expect(bob.post_card("Before bob came")).to_be_visible()
    # The card knows bob follows ada now (the profile's answer before the follow is not kept).
    await expect(
        bob.post_card("Before bob came").get_by_role("button", name=re.compile("^Follow @"))
    ).to_have_count(0)
    # Nothing but the stream may bring the next post: no poll, no reloads after the follow.
    await bob.page.evaluate("clearInterval(session.poll); settleTimers.forEach(clearTimeout)")

    await ada.write_post("Straight from the stream", [], when_accepted=False)
    pill = bob.page.get_by_role("button", name="1 new post")
    await expect(pill).to_be_visible(timeout=10_000)  # the poll would take 30 s
    await expect(bob.post_card("Straight from the stream")).to_have_count(0)
    await bob.screenshot("home-new-posts-pill-phone")
    await pill.click()
    await expect(bob.post_card("Straight from the stream")).to_be_visible()
    await expect(pill).to_be_hidden()


def painted(path: Path, colour: tuple[int, int, int]) -> Path:
    """A small PNG made here (Pillow), so the test needs no picture file of its own."""
    Image.new("RGB", (320, 200), colour).save(path)
    return path


async def expect_loaded(image: Locator) -> None:
    """The picture's bytes arrived and decoded (not just an <img> pointing somewhere)."""
    await expect(image).to_be_visible()
    handle = await image.element_handle()
    await image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=handle, timeout=15_000
    )


async def card_once_credited(fan: Person, text: str, credit: str) -> Locator:
    """The home's card of `text` once it names `credit`, the page loaded again until it does.

    The acceptance reaches the timeline an event after the invitee's answer: a home opened in
    that moment shows the card as it was, until the page is loaded again (in the containers'
    stage a fan once waited 15 s on the uncredited card).
    """
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        card = fan.post_card(text)
        try:
            await expect(card.locator(".authors")).to_contain_text(credit, timeout=3_000)
            return card
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        await fan.page.reload()
        await expect(fan.heading).to_have_text("Home")


async def test_a_picture_credited_to_its_artist_shows_once_to_followers_of_each(
    person: SignUp, tmp_path: Path
) -> None:
    ada, artist = await author_and_invitees(person, "artist")
    fan_of_ada = await person("fan")
    fan_of_artist = await person("pal")
    for fan, followed in ((fan_of_ada, ada), (fan_of_artist, artist)):
        await fan.open_profile(followed.handle)
        await fan.click("Follow")
        await expect(fan.status).to_have_text(f"You follow @{followed.handle}.")
    alt = "The harbour at dusk, boats in blue"
    harbour = painted(tmp_path / "harbour.png", (30, 90, 160))

    await ada.write_post(
        "Harbour, photographed together", [], when_accepted=False, picture=harbour, alt_text=alt
    )
    await ada.open_post("Harbour, photographed together")
    await ada.invite(artist.handle, credit="photo")
    # "Ask the artist to approve it": the invitation shows the picture before the answer.
    await artist.open("Invitations")
    await expect_loaded(artist.page.locator(".invitations").locator(f'img[alt="{alt}"]'))
    await artist.answer_invitation("Accept")

    for fan in (fan_of_ada, fan_of_artist):
        await fan.open("Home")
        card = await card_once_credited(
            fan, "Harbour, photographed together", f"Photo: Artist @{artist.handle}"
        )
        await expect(card).to_have_count(1)
        await expect(card.locator(f'img[alt="{alt}"]')).to_have_count(1)
        await expect_loaded(card.locator(f'img[alt="{alt}"]'))
    await fan_of_artist.screenshot("post-with-picture")

    picture = fan_of_ada.post_card("Harbour, photographed together").locator(".picture")
    await picture.click()
    viewer = fan_of_ada.page.get_by_role("dialog", name="Picture")
    await expect(viewer).to_be_visible()
    await expect_loaded(viewer.locator(f'img[alt="{alt}"]'))
    await fan_of_ada.screenshot("picture-viewer")
    await fan_of_ada.page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()


async def test_a_profile_picture_uploaded_in_the_settings_shows_on_the_profile(
    person: SignUp, tmp_path: Path
) -> None:
    ada = await person("ada")
    bob = await person("bob")
    await bob.open_profile(ada.handle)
    await expect(bob.page.locator(".profile .avatar.initials")).to_have_attribute(
        "data-initials", "A"
    )

    await ada.upload_avatar(painted(tmp_path / "me.png", (200, 120, 40)))
    await expect_loaded(ada.page.locator("#avatar-settings img.avatar"))

    await bob.open_profile(ada.handle)
    await expect_loaded(bob.page.locator(".profile img.avatar"))
    await bob.screenshot("profile-with-avatar")

    await ada.click("Remove the picture")
    await expect(ada.status).to_have_text("Your profile picture is removed.")
    await expect(ada.page.locator("#avatar-settings .avatar.initials")).to_be_visible()


async def test_pictures_are_picked_or_dropped_and_refusals_are_clear(
    person: SignUp, tmp_path: Path
) -> None:
    ada = await person("ada")
    ada.expect_refusal(415)  # the text file offered as a picture
    await ada.open("Home")
    picker = ada.page.locator("#compose").get_by_label("Add pictures or a video")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")

    await picker.set_input_files(notes)
    await expect(ada.error).to_contain_text("notes.txt was not uploaded: this kind of file")
    await expect(ada.page.locator(".attachment")).to_have_count(0)

    pictures = [painted(tmp_path / f"p{n}.png", (40 * n, 80, 120)) for n in range(5)]
    await picker.set_input_files(pictures)
    await expect(ada.error).to_have_text("A post carries up to 4 pictures, or one video alone.")
    await expect(ada.page.locator(".attachment")).to_have_count(0)
    await picker.set_input_files(pictures[:2])
    await expect(ada.page.locator(".attachment img")).to_have_count(2)
    await ada.click("Remove p0.png")
    await expect(ada.page.locator(".attachment")).to_have_count(1)
    await ada.drop_on_compose(pictures[4])
    await expect(ada.page.locator(".attachment img")).to_have_count(2)
    await ada.click("Remove p4.png")
    await expect(ada.page.locator(".attachment")).to_have_count(1)
    await ada.write_post("Two sketches, one kept", [], when_accepted=False)
    card = ada.post_card("Two sketches, one kept")
    await expect(card.locator(".gallery img")).to_have_count(1)
    await expect(card.locator(".gallery img")).to_have_attribute("alt", "")


async def post_through_the_page(someone: Person, texts: list[str]) -> None:
    """Posts written in bulk with the page's own session (set-up, not a story step)."""
    await someone.page.evaluate(
        """async (texts) => {
            for (const text of texts) {
                const headers = {
                    "Content-Type": "application/json", Authorization: `Bearer ${session.token}`,
                };
                const body = JSON.stringify({ text });
                const answer = await fetch("/v1/posts", { method: "POST", body, headers });
                if (!answer.ok) throw new Error(`posting answered ${answer.status}`);
            }
        }""",
        texts,
    )


async def test_on_a_phone_the_first_post_is_on_the_first_screen_and_compose_is_a_sheet(
    person: SignUp,
) -> None:
    bob = await person("bob", phone=True)
    compose = bob.page.locator("#compose")
    await bob.write_post("Bob on the bus", [], when_accepted=False)

    card = bob.post_card("Bob on the bus")
    await expect(card).to_be_visible()
    await expect(compose).to_be_hidden()  # the sheet closes once the post is sent
    box = await card.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 844
    header = await bob.page.locator("header").bounding_box()
    assert header is not None
    assert header["height"] <= 56
    tabs = await bob.page.get_by_role("navigation", name="Main").bounding_box()
    assert tabs is not None
    assert tabs["y"] + tabs["height"] == 844
    await expect(bob.page.locator('#nav a[href="#/"]')).to_have_attribute("aria-current", "page")

    await bob.page.get_by_role("button", name="Write a post").click()
    text = compose.get_by_role("textbox", name=re.compile("^Text"))
    await expect(text).to_be_focused()
    await text.fill("x" * 510)  # as pasted: nothing is cut
    await expect(compose.locator(".counter")).to_have_text("510 / 500")
    await expect(compose.locator(".counter")).to_have_class(re.compile("over"))
    await compose.get_by_role("button", name="Post").click()
    assert not await text.evaluate("field => field.checkValidity()")
    await expect(text).to_have_value("x" * 510)
    await bob.screenshot("compose-sheet-phone")


async def test_on_a_desktop_the_header_holds_on_one_line(person: SignUp) -> None:
    ada = await person("ada")
    header = await ada.page.locator("header").bounding_box()
    sign_out = await ada.page.get_by_role("button", name="Sign out").bounding_box()
    assert header is not None
    assert header["height"] <= 60
    assert sign_out is not None
    assert sign_out["x"] + sign_out["width"] <= 1100


async def test_a_card_offers_to_follow_one_author_not_followed_and_new_posts_wait_in_a_pill(
    person: SignUp,
) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    dan = await person("dan")
    await ada.write_post("Three voices", [bob.handle, cat.handle], when_accepted=False)
    for invitee in (bob, cat):
        await invitee.answer_invitation("Accept")
    await dan.open_profile(ada.handle)
    await dan.click("Follow")
    await expect(dan.status).to_have_text(f"You follow @{ada.handle}.")
    await expect(dan.page.get_by_role("button", name="Unfollow")).to_be_visible()

    await dan.open("Home")
    card = dan.post_card("Three voices")
    await expect(card.locator(".faces .avatar")).to_have_count(3)  # ada, bob and cat
    follows = card.get_by_role("button", name=re.compile("^Follow @"))
    await expect(follows).to_have_count(1)  # one, and not for ada, whom dan follows
    await expect(follows).to_have_text(f"Follow @{bob.handle}")
    await follows.click()
    await expect(dan.status).to_have_text(f"You follow @{bob.handle}.")
    await expect(follows).to_have_text(f"Follow @{cat.handle}")
    time = card.locator("time")
    await expect(time).to_have_attribute("title", re.compile(r"\d"))  # the exact time on hover
    await dan.screenshot("home-follow-one")

    fresh = f"Sunset with @{bob.handle}, see https://example.org/sky #sunset"
    await ada.write_post(fresh, [], when_accepted=False)
    await ada.open_profile(dan.handle)
    await ada.click("Follow")  # dan is told live, and his timeline reloads meanwhile
    await expect(dan.activity).to_contain_text("followed you")
    pill = dan.page.get_by_role("button", name="1 new post")
    await expect(pill).to_be_visible()
    await expect(dan.post_card("Sunset with")).to_have_count(0)  # nothing moved meanwhile
    await dan.screenshot("home-new-posts-pill")
    await pill.click()
    text = dan.post_card("Sunset with").locator(".text")
    await expect(text.locator(f'a[href="#/users/{bob.handle}"]')).to_have_text(f"@{bob.handle}")
    await expect(text.locator('a[href="https://example.org/sky"]')).to_be_visible()
    await dan.page.emulate_media(color_scheme="dark")
    await dan.screenshot("home-dark")  # the dark palette passes axe's contrast checks too
    await text.locator('a[href="#/tags/sunset"]').click()
    await expect(dan.heading).to_have_text("#sunset")
    await expect(dan.post_card("Sunset with")).to_be_visible()


async def test_the_feed_scrolls_on_and_the_keyboard_selects_likes_and_writes(
    person: SignUp,
) -> None:
    ada = await person("ada")
    await post_through_the_page(ada, [f"Numbered post {n}" for n in range(23)])
    await ada.open_profile(ada.handle)
    cards = ada.page.locator("li.post")
    await expect(cards).to_have_count(20)
    await cards.last.scroll_into_view_if_needed()
    await expect(cards).to_have_count(23)  # the next page came with the scroll

    await ada.page.keyboard.press("?")
    help_dialog = ada.page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help_dialog).to_be_visible()
    await ada.screenshot("shortcuts-help")
    await ada.page.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()
    await ada.page.keyboard.press("j")
    await ada.page.keyboard.press("j")
    second = cards.nth(1)
    await expect(second.locator("article")).to_have_attribute("aria-current", "true")
    await expect(cards.first.locator("article")).not_to_have_attribute("aria-current", "true")
    await expect(second.locator("article")).to_be_focused()
    await ada.page.keyboard.press("l")
    like = second.get_by_role("button", name="Unlike (1)")
    await expect(like).to_have_attribute("aria-pressed", "true")
    await expect(ada.status).to_have_text("You like this post.")  # the server's answer
    await expect(second.locator(".feedback")).to_have_text("You like this post.")
    await ada.page.keyboard.press("l")
    await expect(second.get_by_role("button", name="Like (0)")).to_have_attribute(
        "aria-pressed", "false"
    )
    await ada.page.keyboard.press("n")
    await expect(ada.heading).to_have_text("Home")
    await expect(ada.page.locator("#compose textarea[name=text]")).to_be_focused()


async def assert_no_english(someone: Person) -> None:
    """No text of the catalogue shows in English on the page (its text, labels and titles)."""
    english: list[str] = await someone.page.evaluate(
        """() => {
            const shown = [document.body.innerText, ...[...document.querySelectorAll(
                "[aria-label], [placeholder], [title]")].flatMap((node) =>
                [node.getAttribute("aria-label"), node.getAttribute("placeholder"),
                 node.getAttribute("title")])].filter(Boolean).join("\\n");
            const escape = (text) => text.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");
            const french = new Set(Object.values(MESSAGES_FR)); // "Remixes": "Remix"
            return Object.keys(MESSAGES_FR)
                .filter((english) => !french.has(english) && !english.includes("{"))
                .filter((english) => english.length > 2)
                .filter((english) =>
                    new RegExp(`(^|\\\\P{L})${escape(english)}($|\\\\P{L})`, "u").test(shown));
        }"""
    )
    assert english == [], f"English on {await someone.heading.inner_text()}: {english}"


async def test_french_by_default_for_a_french_browser_and_english_chosen_in_settings(
    person: SignUp, tmp_path: Path
) -> None:
    marie = await person("marie", locale="fr-FR")
    nav = marie.page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Accueil")).to_be_visible()
    await expect(marie.heading).to_have_text("Accueil")
    await expect(marie.page.locator("#compose-title")).to_have_text("Écrire un post")
    await marie.screenshot("home-french")
    await assert_no_english(marie)

    marie.expect_refusal(415)  # the text file offered as a picture
    notes = tmp_path / "notes.txt"
    notes.write_text("pas une image")
    picker = marie.page.locator("#compose").get_by_label("Ajouter des images ou une vidéo")
    await picker.set_input_files(notes)
    await expect(marie.error).to_contain_text(
        "notes.txt n\N{RIGHT SINGLE QUOTATION MARK}a pas été envoyé : ce type de fichier"
    )
    compose = marie.page.locator("#compose")
    await compose.locator("textarea[name=text]").fill("Bonjour à tous")
    await compose.get_by_role("button", name="Post", exact=True).click()
    card = marie.post_card("Bonjour à tous")  # one's own post shows at once
    await card.get_by_role("link", name="Ouvrir le post").click()
    await expect(marie.heading).to_have_text("Post")
    await expect(marie.page.locator('[data-insight="totals"]')).to_contain_text("0 réponse")
    await assert_no_english(marie)
    for view in ("Invitations", "Notifications", "Demandes de remix", "Mon profil", "Réglages"):
        await nav.get_by_role("link", name=view).click()
        await expect(marie.page.locator("#view [aria-busy=true]")).to_have_count(0)
        await assert_no_english(marie)
    await nav.get_by_role("link", name="Invitations").click()
    await marie.page.get_by_role("button", name="Envoyées").click()
    await expect(marie.page.get_by_role("button", name="Envoyées")).to_have_attribute(
        "aria-pressed", "true"
    )
    await assert_no_english(marie)
    await nav.get_by_role("link", name="Réglages").click()
    await marie.page.get_by_label("Langue de CoPost").select_option("en")
    await expect(marie.heading).to_have_text("Settings")
    await expect(marie.page.locator("html")).to_have_attribute("lang", "en")


async def test_unknown_handles_and_pending_posts_have_no_loose_ends(person: SignUp) -> None:
    ada, bob = await author_and_invitees(person, "bob")
    ada.expect_refusal(404)  # the unknown handle
    await ada.open_profile("nobody_at_all")
    await expect(ada.error).to_contain_text("Not Found")
    await expect(ada.page.locator("#view")).not_to_contain_text("Loading")
    await expect(ada.page.locator(".unavailable").first).to_be_visible()

    await ada.open("Home")
    coauthors = ada.page.locator("#compose").get_by_role("combobox", name="Co-authors")
    await ada.page.locator("#compose textarea[name=text]").focus()
    await coauthors.fill(bob.handle[:7])  # the handle-prefix search suggests bob
    await expect(
        ada.page.locator(f'#suggest-coauthors option[value="{bob.handle}"]')
    ).to_have_count(1)
    await ada.write_post("Waiting for Bob", [bob.handle], when_accepted=True)
    await expect(ada.page.locator("article.post .tag.pending")).to_be_visible()
    await expect(ada.page.locator("#reply")).to_be_hidden()
    await expect(ada.page.locator("#remix")).to_be_hidden()
    await bob.open("Invitations")
    await bob.page.locator("li.card").get_by_role("link", name="a post").click()
    await expect(bob.page.get_by_role("button", name="Accept")).to_be_visible()
    await expect(bob.page.locator("#reply")).to_be_hidden()
    # No 404 for the pending post's replies or insights: the fixture asserts it.


async def test_every_main_view_is_accessible_at_desktop_and_phone_sizes(
    person: SignUp, tmp_path: Path
) -> None:
    if not AXE.exists():
        pytest.skip(f"no axe-core at {AXE}: `make npm-tools` installs it with npm")
    for size, phone in (("desktop", False), ("phone", True)):
        ada = await person("ada", phone=phone)
        bob = await person("bob")
        await bob.allow_invitations_from_everyone()
        await ada.write_post(
            "A harbour, a sketch #boats",
            [bob.handle],
            when_accepted=False,
            picture=painted(tmp_path / f"{size}.png", (30, 90, 160)),
            alt_text="Boats",
        )
        await bob.answer_invitation("Accept")
        await bob.open_profile(ada.handle)
        await bob.click("Follow")
        await bob.open_post("A harbour, a sketch")
        await bob.page.get_by_label("Your reply").fill("Lovely boats")
        await bob.click("Reply")
        await expect(bob.status).to_have_text("Your reply is posted.")

        await ada.open("Home")
        await expect(ada.post_card("A harbour, a sketch")).to_be_visible()
        await ada.screenshot(f"home-{size}")
        await ada.post_card("A harbour, a sketch").locator('a[href="#/tags/boats"]').click()
        await expect(ada.heading).to_have_text("#boats")
        await expect(ada.post_card("A harbour, a sketch")).to_be_visible()
        await ada.screenshot(f"tag-{size}")
        await ada.open("Home")
        await ada.open_post("A harbour, a sketch")
        await expect(ada.page.locator('[data-insight="totals"]')).to_contain_text("1 reply")
        await ada.screenshot(f"post-{size}")
        page_width = await ada.page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= (390 if phone else 1100)  # the insights table stays inside
        await ada.open_profile(ada.handle)
        await ada.screenshot(f"profile-{size}")
        await ada.open("Invitations")
        await ada.page.get_by_role("button", name="Sent").click()
        await expect(ada.page.get_by_role("button", name="Sent")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(ada.page.locator("li.card blockquote")).to_have_text(
            "A harbour, a sketch #boats"
        )
        await ada.screenshot(f"invitations-{size}")
        await ada.open("Notifications")
        replied = ada.page.locator('[data-type="post.replied"]')
        await expect(replied.locator(".preview")).to_have_text("Lovely boats")
        await ada.screenshot(f"notifications-{size}")
        await ada.open("Remix requests")
        await ada.screenshot(f"remix-requests-{size}")
        await ada.open("Settings")
        await ada.screenshot(f"settings-{size}")
        await ada.page.get_by_role("button", name="Sign out").click()
        await expect(ada.page.get_by_role("heading", name="Sign in")).to_be_visible()
        await ada.screenshot(f"sign-in-{size}")
