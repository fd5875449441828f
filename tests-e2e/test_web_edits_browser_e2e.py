"""Edits and hand-overs in the web client, in Chromium: people act through the UI only.

ada writes a post with bob and cat; she proposes a fix, bob reviews the diff and approves,
cat approves, and the post shows "edited" with its history; ada then hands it to bob, who
accepts. A second proposal is withdrawn, a third rejected. On a post with a picture, bob
fixes its alt text in the edit form; it shows once ada and cat approved.
"""

from pathlib import Path

from playwright.async_api import expect
from test_web_browser_e2e import SignUp, author_and_invitees, browser, painted, person
from web_ui import Person

__all__ = ["browser", "person"]  # the browser fixtures, shared with the main browser module


async def open_shared_post(someone: Person, text: str) -> None:
    await someone.open_profile(someone.handle)
    await someone.open_post(text)


async def propose(someone: Person, text: str) -> None:
    form = someone.page.get_by_role("form", name="Propose an edit")
    await form.get_by_role("textbox", name="New text").fill(text)
    await form.get_by_role("button", name="Propose this edit").click()
    await expect(someone.status).to_have_text("Your edit waits for your co-authors' approval.")


async def test_a_fix_reviewed_approved_by_both_then_the_post_handed_over(
    person: SignUp,
) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    await ada.write_post("Teh harbour at dusk", [bob.handle, cat.handle], when_accepted=False)
    for invitee in (bob, cat):
        await invitee.answer_invitation("Accept")
    await ada.open("Home")
    await ada.open_post("Teh harbour at dusk")
    await expect(ada.coauthor(cat.handle)).to_contain_text("co-author")
    await propose(ada, "The harbour at dusk")

    await open_shared_post(bob, "Teh harbour at dusk")
    review = bob.page.locator(".edit-review")
    await expect(review.locator("del")).to_have_text("Teh")
    await expect(review.locator("ins")).to_have_text("The")
    await bob.screenshot("edit-review")
    await bob.click("Approve edit")
    await expect(bob.status).to_have_text("You approved the edit.")
    await expect(ada.page.locator('[data-approval="' + bob.handle + '"]')).to_contain_text(
        "approved"
    )

    await open_shared_post(cat, "Teh harbour at dusk")
    await cat.click("Approve edit")
    await expect(cat.page.locator(".text.big")).to_have_text("The harbour at dusk")
    await ada.open("Home")
    card = ada.post_card("The harbour at dusk")
    await expect(card.locator(".tag.edited")).to_be_visible()
    await ada.open_post("The harbour at dusk")
    await ada.page.get_by_text("History: 2 versions").click()
    await expect(ada.page.locator('[data-version="1"]')).to_contain_text("Teh harbour at dusk")

    # A second proposal withdrawn by its proposer, a third rejected by a co-author.
    await propose(ada, "The harbour at dawn")
    await ada.click("Withdraw edit")
    await expect(ada.status).to_have_text("The edit is withdrawn.")
    await propose(ada, "The harbour at night")
    await cat.page.reload()
    await cat.click("Reject edit")
    await expect(cat.status).to_have_text("You rejected the edit.")
    await expect(ada.page.locator(".edit-review")).to_have_attribute("data-status", "rejected")

    handover = ada.page.get_by_role("form", name="Hand this post over")
    await handover.get_by_role("combobox", name="Hand over to").select_option(bob.handle)
    await handover.get_by_role("button", name="Ask to take it over").click()
    await expect(ada.status).to_have_text("Hand-over asked.")
    await bob.open("Notifications")
    await (
        bob.page.locator('[data-type="post.handover_requested"]')
        .get_by_role("link", name="open post")
        .click()
    )
    await bob.click("Accept hand-over")
    await expect(bob.status).to_have_text("You are now the post's author.")
    await expect(bob.page.locator(".people li").first).to_contain_text(f"@{bob.handle}")
    await expect(bob.coauthor(ada.handle)).to_contain_text("co-author")


async def test_an_alt_text_fix_shows_once_both_other_authors_approve(
    person: SignUp, tmp_path: Path
) -> None:
    ada, bob, cat = await author_and_invitees(person, "bob", "cat")
    harbour = painted(tmp_path / "harbour.png", (30, 90, 160))
    await ada.write_post(
        "Harbour", [bob.handle, cat.handle], when_accepted=False, picture=harbour, alt_text="Teh"
    )
    for invitee in (bob, cat):
        await invitee.answer_invitation("Accept")

    await open_shared_post(bob, "Harbour")
    form = bob.page.get_by_role("form", name="Propose an edit")
    await expect(form.get_by_role("checkbox", name="Keep media 1")).to_be_checked()
    await form.get_by_role("textbox", name="Alt text of media 1").fill("The harbour")
    await form.get_by_role("button", name="Propose this edit").click()
    await expect(bob.status).to_have_text("Your edit waits for your co-authors' approval.")
    await expect(bob.page.locator(".edit-review .edit-media")).to_contain_text("The harbour")
    await expect(bob.page.locator('article.post > .gallery img[alt="Teh"]')).to_be_visible()

    for approver in (ada, cat):
        await open_shared_post(approver, "Harbour")
        await approver.click("Approve edit")
        await expect(approver.status).to_have_text("You approved the edit.")
    await cat.page.reload()
    shown = cat.page.locator('article.post > .gallery img[alt="The harbour"]')
    await expect(shown).to_be_visible()
