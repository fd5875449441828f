"""A person using the web client in Chromium: steps through the UI only, never the API.

The browser is Debian's Chromium (`apt-get install -y chromium`), driven by Playwright for
Python; Playwright never downloads a browser of its own here.
"""

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    async_playwright,
    expect,
)
from stack import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "web"
PASSWORD = "correct horse battery staple"
# Timelines and notifications settle within a couple of seconds; allow for a busy machine.
expect.set_options(timeout=15_000)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 800}
# axe-core, installed from npm by `make npm-tools` (package.json, package-lock.json).
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# What the accessibility checks refuse: axe's two highest impacts.
BLOCKING_IMPACTS = {"serious", "critical"}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Person:
    """One signed-up user in a browser context of their own."""

    page: Page
    handle: str
    # Console errors and refused or failed requests while this person used the client; the
    # browser tests end by asserting there were none but those the story expects.
    problems: list[str] = field(default_factory=list)
    expected_refusals: set[int] = field(default_factory=set)

    def watch(self) -> None:
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._request_failed)

    def expect_refusal(self, status: int) -> None:
        """This story provokes answers with this status (a block's 404, say): not a problem."""
        self.expected_refusals.add(status)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        refused = re.search(r"status of (\d{3})", message.text)
        if refused and int(refused[1]) in self.expected_refusals:
            return
        self.problems.append(f"console: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self.expected_refusals:
            self.problems.append(f"{response.status} {response.request.method} {response.url}")

    def _request_failed(self, request: Request) -> None:
        # A request cut short by the page moving on (or closing) is not a failure.
        if request.failure and "ERR_ABORTED" not in request.failure:
            self.problems.append(f"failed {request.method} {request.url}: {request.failure}")

    @property
    def error(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def status(self) -> Locator:
        return self.page.get_by_role("status")

    @property
    def activity(self) -> Locator:
        """The latest notification pushed by the live stream, kept apart from the answers to
        this person's own actions so a late push never hides what their click did."""
        return self.page.get_by_role("log", name="Latest activity")

    @property
    def heading(self) -> Locator:
        return self.page.locator("#view-title")

    async def screenshot(self, name: str) -> None:
        """A picture of the view into test-artifacts/web/, once axe-core found it accessible."""
        await self.check_accessibility(name)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    async def check_accessibility(self, view: str) -> None:
        """axe-core's serious and critical violations on the page as it is now: none."""
        if not AXE.exists():
            return  # `make npm-tools` without npm: test_every_main_view_... says why it skips
        if not await self.page.evaluate("typeof axe !== 'undefined'"):
            # Evaluated through the DevTools protocol, which the page's CSP does not govern.
            await self.page.evaluate(await asyncio.to_thread(AXE.read_text))
        results: dict[str, Any] = await self.page.evaluate(
            "axe.run(document, { resultTypes: ['violations'] })"
        )
        blocking = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            for violation in results["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]
        assert blocking == [], f"{view}: {blocking}"

    async def open(self, section: str) -> None:
        """Follow a link of the main navigation ("Home", "Invitations", "Settings", ...)."""
        await (
            self.page.get_by_role("navigation", name="Main")
            .get_by_role("link", name=section)
            .click()
        )

    async def open_profile(self, handle: str) -> None:
        await self.page.get_by_label("Find a user by handle").fill(handle)
        await self.page.get_by_label("Find a user by handle").press("Enter")
        await expect(self.heading).to_have_text(f"@{handle}")

    async def open_post(self, text: str) -> None:
        """Open the post with this text from the list the current view shows."""
        await self.post_card(text).get_by_role("link", name="Open post").click()
        await expect(self.heading).to_have_text("Post")

    def post_card(self, text: str) -> Locator:
        return self.page.locator("li.post", has_text=text)

    def coauthor(self, handle: str) -> Locator:
        return self.page.locator(f'[data-coauthor="{handle}"]')

    async def click(self, name: str) -> None:
        await self.page.get_by_role("button", name=name, exact=True).click()

    async def write_post(
        self,
        text: str,
        coauthors: list[str],
        *,
        when_accepted: bool,
        picture: Path | None = None,
        alt_text: str = "",
    ) -> None:
        await self.open("Home")
        compose = self.page.locator("#compose")
        await compose.wait_for(state="attached")  # the home view is drawn
        if not await compose.is_visible():  # on a phone, the compose button opens its sheet
            await self.page.get_by_role("button", name="Write a post").click()
        if picture is not None:
            await self.attach(picture, alt_text)
        # The post's text, not an attachment's "Alt text for ...".
        await compose.get_by_role("textbox", name=re.compile("^Text")).fill(text)
        await compose.get_by_role("combobox", name="Co-authors").fill(", ".join(coauthors))
        mode = "when every co-author has answered" if when_accepted else "now"
        await compose.get_by_role("radio", name=mode).check()
        await compose.get_by_role("button", name="Post").click()
        await expect(self.status).to_contain_text("Your post")

    async def attach(self, picture: Path, alt_text: str) -> None:
        """Pick a picture in the compose form, wait for its upload's preview, describe it."""
        compose = self.page.locator("#compose")
        await compose.get_by_label("Add pictures or a video").set_input_files(picture)
        attachment = compose.locator(".attachment", has_text=picture.name)
        await expect(attachment.locator("img")).to_be_visible()
        await expect(attachment).to_contain_text("Describe it for people who cannot see it.")
        await attachment.get_by_label(f"Alt text for {picture.name}").fill(alt_text)
        await expect(attachment.locator(".alt-reminder")).to_be_hidden()

    async def drop_on_compose(self, picture: Path) -> None:
        """Drag a picture file onto the compose form and drop it there."""
        content = await asyncio.to_thread(picture.read_bytes)
        data = await self.page.evaluate_handle(
            """([name, base64]) => {
                const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], name, { type: "image/png" }));
                return transfer;
            }""",
            [picture.name, base64.b64encode(content).decode()],
        )
        compose = self.page.locator("#compose")
        await compose.dispatch_event("dragover", {"dataTransfer": data})
        await compose.dispatch_event("drop", {"dataTransfer": data})

    async def upload_avatar(self, picture: Path) -> None:
        await self.open("Settings")
        form = self.page.locator("#avatar-settings")
        await form.get_by_label("Choose a picture").set_input_files(picture)
        await form.get_by_role("button", name="Upload picture").click()
        await expect(self.status).to_have_text("Your profile picture is saved.")

    async def invite(self, handle: str, *, credit: str = "") -> None:
        """Invite a co-author from the open post's page, credited for `credit` if given."""
        invite = self.page.locator("#invite")
        await invite.get_by_role("combobox", name="Handle").fill(handle)
        await invite.get_by_role("textbox", name="Credited for").fill(credit)
        await self.click("Invite")
        await expect(self.status).to_have_text("Invitation sent.")

    async def answer_invitation(self, answer: str) -> None:
        """Accept or Decline the one pending invitation of the invitation box."""
        await self.open("Invitations")
        await self.page.get_by_role("button", name=answer).click()
        told = "You are now a co-author." if answer == "Accept" else "You declined the invitation."
        await expect(self.status).to_have_text(told)

    async def allow_invitations_from_everyone(self) -> None:
        await self.open("Settings")
        await self.page.get_by_label("Anyone may invite me").check()
        await self.click("Save")
        await expect(self.status).to_have_text("Your settings are saved.")


async def sign_up(
    browser: Browser, base_url: str, prefix: str, *, phone: bool = False, locale: str = "en-GB"
) -> Person:
    """A new account created through the sign-up form, in a fresh browser context."""
    context = await browser.new_context(
        base_url=base_url, viewport=PHONE if phone else DESKTOP, locale=locale
    )
    page = await context.new_page()
    handle = f"{prefix}_{uuid4().hex[:8]}"
    person = Person(page, handle)
    person.watch()
    await page.goto("/")
    form = page.locator("#sign-up")  # by the fields' names: the labels are in the locale's language
    await form.locator('input[name="handle"]').fill(handle)
    await form.locator('input[name="display_name"]').fill(prefix.title())
    await form.locator('input[name="password"]').fill(PASSWORD)
    await form.get_by_role("button").click()
    await expect(page.locator("#whoami")).to_have_text(f"{prefix.title()} @{handle}")
    return person
