"""A drill run from browsers: the facilitator starts db-lock (SQLite), alice (incident
commander, personal link) and bob (joins with the open link) work it in Chromium.

Debian's chromium through Playwright (never `playwright install`). Screenshots of
every step go to test-output/ (gitignored) so a person can look at the pages.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from simulator.console.process import ConsoleProcess, start_console_drill

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output"
XSS = '<img src=x onerror="alert(1)">'
WAIT_MS = 150_000


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleProcess]:
    running = start_console_drill(
        tmp_path_factory.mktemp("browser"),
        trainees=["alice:commander"],
        args=["--review-window", "300"],
    )
    try:
        yield running
    finally:
        running.stop()


def test_two_trainees_and_a_facilitator_run_a_drill_in_chromium(drill: ConsoleProcess) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/system-setup)")
    if importlib.util.find_spec("playwright") is None:
        pytest.fail("playwright is missing: pip install -e '.[dev]' (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            views = {
                who: browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                for who in ("facilitator", "alice", "bob")
            }
            for page in views.values():
                page.on("dialog", lambda d: _answer(d, dialogs))
            _run(drill, views, dialogs)
        finally:
            browser.close()


def _answer(dialog: Dialog, seen: list[str]) -> None:
    seen.append(dialog.type)  # an "alert" would mean user text ran as script
    dialog.accept()  # the resolve confirmation


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


def _run(drill: ConsoleProcess, views: dict[str, Page], dialogs: list[str]) -> None:
    from playwright.sync_api import expect

    boss, alice, bob = views["facilitator"], views["alice"], views["bob"]
    # The facilitator opens the control room and starts the drill.
    boss.goto(f"{drill.url}/join/{drill.token('facilitator')}")
    expect(boss.get_by_role("button", name="Start the drill")).to_be_enabled()
    _shot(boss, "01-facilitator-lobby")
    boss.get_by_role("button", name="Start the drill").click()
    # Bob joins with the open link, typing his name and picking his role.
    bob.goto(drill.links["join"])
    bob.get_by_label("Your name").fill("bob")
    bob.get_by_label("Your role in the incident").select_option("communications")
    _shot(bob, "01-trainee-join")
    bob.get_by_role("button", name="Join").click()
    expect(bob.locator(".me")).to_contain_text("bob · communications")
    # Alice waits on her personal link until the pager goes off.
    alice.goto(drill.links["trainees"]["alice"])
    banner = alice.locator("#pager-banner")
    expect(banner).to_be_visible(timeout=WAIT_MS)
    expect(banner).to_contain_text("PAGE")
    _shot(alice, "02-trainee-paged")
    alice.keyboard.press("a")  # the pager's keyboard shortcut
    expect(alice.locator("#inc-ack")).to_have_text("alice")
    expect(banner).to_be_hidden()
    alice.get_by_label("P1 · HIGH").check()
    alice.get_by_role("button", name="Set severity").click()
    expect(alice.locator("#inc-sev")).to_have_text("P1")
    alice.get_by_label("Assign to").select_option("dba")
    alice.get_by_role("button", name="Assign", exact=True).click()
    expect(alice.locator("#inc-team")).to_have_text("dba")
    for status in ("INVESTIGATING", "IDENTIFIED"):
        alice.get_by_role("button", name=f"→ {status}").click()
        expect(alice.locator("#inc-status")).to_have_text(status)
    _shot(alice, "03-trainee-incident")
    # Diagnostics: who holds the database?
    alice.get_by_role("link", name="Diagnostics").click()
    alice.get_by_role("button", name="Database: activity, locks, pool").click()
    expect(alice.locator("#diag-out")).to_contain_text("other processes with file open")
    _shot(alice, "04-trainee-diagnostics")
    # The shop's logs: the failing requests, filtered.
    alice.get_by_role("link", name="Logs").click()
    alice.get_by_label("Status").select_option("5xx")
    alice.get_by_role("button", name="Show").click()
    expect(alice.locator("#log-lines")).to_contain_text("/orders")
    _shot(alice, "04-trainee-logs")
    # The runbook: kill the long-running query, with confirmation.
    alice.get_by_role("link", name="Runbook").click()
    alice.locator('[data-action="db.kill_long_queries"]').click()
    alice.get_by_label("Why?").fill("a second process holds shop.db open")
    alice.get_by_role("button", name="Run it").click()
    expect(alice.locator("#action-results")).to_contain_text("ok", timeout=60_000)
    _shot(alice, "05-trainee-runbook")
    # Bob (communications) posts an update; the markup in it stays text.
    bob.get_by_role("textbox", name="Summary").fill(f"Orders fail behind a lock {XSS}")
    bob.get_by_role("textbox", name="Impact").fill("about a tenth of requests fail")
    bob.get_by_role("button", name="Post update").click()
    latest = bob.locator("#recent")
    expect(latest).to_contain_text(f"posted an update: Orders fail behind a lock {XSS}")
    assert latest.locator("img").count() == 0
    alice.get_by_role("link", name="Incident").click()
    alice.get_by_role("button", name="→ MONITORING").click()
    expect(alice.locator("#inc-status")).to_have_text("MONITORING")
    alice.get_by_role("link", name="Dashboards").click()
    expect(alice.locator("[data-chart] svg path.line").first).to_be_attached()
    drill.wait_for("service.recovered", timeout_s=150)
    _shot(alice, "06-trainee-dashboards")
    alice.get_by_role("link", name="Incident").click()
    alice.get_by_role("button", name="→ RESOLVED").click()  # confirm: accepted
    expect(alice.locator("#inc-status")).to_have_text("RESOLVED")
    # The post-incident review, then the facilitator scores.
    alice.get_by_role("link", name="Review").click()
    alice.get_by_label("What happened?").fill("A forgotten transaction locked the orders table.")
    alice.get_by_label("item 1", exact=True).fill("Alert on lock waits")
    alice.get_by_label("owner of item 1").fill("alice")
    _shot(alice, "07-trainee-review")
    alice.get_by_role("button", name="Submit review").click()
    expect(alice.get_by_text("Your review is in.")).to_be_visible()
    boss.reload()
    boss.get_by_role("button", name="Score now").click(timeout=WAIT_MS)
    expect(boss.locator("#toast")).to_contain_text("Scoring")
    # Open pages follow the drill: alice's review page reloads itself once it is scored.
    expect(alice.locator("body")).to_have_attribute("data-phase", "scored", timeout=WAIT_MS)
    alice.get_by_role("link", name="Scorecard", exact=True).click()
    expect(alice.get_by_text("Your scorecard — alice (commander)")).to_be_visible(timeout=WAIT_MS)
    expect(alice.locator("#scorecard")).to_contain_text("What a good response looked like")
    _shot(alice, "08-trainee-scorecard")
    boss.reload()
    expect(boss.locator("#cards")).to_contain_text("bob", timeout=60_000)
    _shot(boss, "09-facilitator-scorecards")
    assert "alert" not in dialogs, "a script from user text ran"
