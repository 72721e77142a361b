"""A drill run from browsers: the facilitator starts db-lock (SQLite), alice (incident
commander, personal link) and bob (joins with the open link) work it in Chromium.

Debian's chromium through Playwright (never `playwright install`). Screenshots of
every step go to test-output/ (gitignored) so a person can look at the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.console.process import ConsoleProcess, start_console_drill

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

playwright_api = pytest.importorskip("playwright.sync_api")  # a dev dependency
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
    SHOTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            views = {
                who: browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                for who in ("facilitator", "alice", "bob")
            }
            for page in views.values():
                page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
            _run(drill, views, dialogs)
        finally:
            browser.close()


def _shot(page: object, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _run(drill: ConsoleProcess, views: dict[str, object], dialogs: list[str]) -> None:
    expect = playwright_api.expect
    boss, alice, bob = views["facilitator"], views["alice"], views["bob"]
    # The facilitator opens the control room and starts the drill.
    boss.goto(f"{drill.url}/join/{drill.token('facilitator')}")  # type: ignore[attr-defined]
    expect(boss.get_by_role("button", name="Start the drill")).to_be_enabled()  # type: ignore[attr-defined]
    _shot(boss, "01-facilitator-lobby")
    boss.get_by_role("button", name="Start the drill").click()  # type: ignore[attr-defined]
    # Bob joins with the open link, typing his name and picking his role.
    bob.goto(drill.links["join"])  # type: ignore[attr-defined]
    bob.get_by_label("Your name").fill("bob")  # type: ignore[attr-defined]
    bob.get_by_label("Your role in the incident").select_option("communications")  # type: ignore[attr-defined]
    bob.get_by_role("button", name="Join").click()  # type: ignore[attr-defined]
    expect(bob.locator(".me")).to_contain_text("bob · communications")  # type: ignore[attr-defined]
    # Alice waits on her personal link until the pager goes off.
    alice.goto(drill.links["trainees"]["alice"])  # type: ignore[attr-defined]
    banner = alice.locator("#pager-banner")  # type: ignore[attr-defined]
    expect(banner).to_be_visible(timeout=WAIT_MS)
    expect(banner).to_contain_text("PAGE")
    _shot(alice, "02-trainee-paged")
    alice.keyboard.press("a")  # type: ignore[attr-defined]  # the pager's keyboard shortcut
    expect(alice.locator("#inc-ack")).to_have_text("alice")  # type: ignore[attr-defined]
    expect(banner).to_be_hidden()
    alice.get_by_label("P1 · HIGH").check()  # type: ignore[attr-defined]
    alice.get_by_role("button", name="Set severity").click()  # type: ignore[attr-defined]
    expect(alice.locator("#inc-sev")).to_have_text("P1")  # type: ignore[attr-defined]
    alice.get_by_label("Assign to").select_option("dba")  # type: ignore[attr-defined]
    alice.get_by_role("button", name="Assign", exact=True).click()  # type: ignore[attr-defined]
    expect(alice.locator("#inc-team")).to_have_text("dba")  # type: ignore[attr-defined]
    for status in ("INVESTIGATING", "IDENTIFIED"):
        alice.get_by_role("button", name=f"→ {status}").click()  # type: ignore[attr-defined]
        expect(alice.locator("#inc-status")).to_have_text(status)  # type: ignore[attr-defined]
    _shot(alice, "03-trainee-incident")
    # Diagnostics: who holds the database?
    alice.get_by_role("link", name="Diagnostics").click()  # type: ignore[attr-defined]
    alice.get_by_role("button", name="Database: activity, locks, pool").click()  # type: ignore[attr-defined]
    expect(alice.locator("#diag-out")).to_contain_text("other processes with file open")  # type: ignore[attr-defined]
    _shot(alice, "04-trainee-diagnostics")
    # The runbook: kill the long-running query, with confirmation.
    alice.get_by_role("link", name="Runbook").click()  # type: ignore[attr-defined]
    alice.locator('[data-action="db.kill_long_queries"]').click()  # type: ignore[attr-defined]
    alice.get_by_label("Why?").fill("a second process holds shop.db open")  # type: ignore[attr-defined]
    alice.get_by_role("button", name="Run it").click()  # type: ignore[attr-defined]
    expect(alice.locator("#action-results")).to_contain_text("ok", timeout=60_000)  # type: ignore[attr-defined]
    _shot(alice, "05-trainee-runbook")
    # Bob (communications) posts an update; the markup in it stays text.
    bob.get_by_role("textbox", name="Summary").fill(f"Orders fail behind a lock {XSS}")  # type: ignore[attr-defined]
    bob.get_by_role("textbox", name="Impact").fill("about a tenth of requests fail")  # type: ignore[attr-defined]
    bob.get_by_role("button", name="Post update").click()  # type: ignore[attr-defined]
    latest = bob.locator("#recent")  # type: ignore[attr-defined]
    expect(latest).to_contain_text(f"posted an update: Orders fail behind a lock {XSS}")
    assert latest.locator("img").count() == 0
    alice.get_by_role("link", name="Incident").click()  # type: ignore[attr-defined]
    alice.get_by_role("button", name="→ MONITORING").click()  # type: ignore[attr-defined]
    expect(alice.locator("#inc-status")).to_have_text("MONITORING")  # type: ignore[attr-defined]
    alice.get_by_role("link", name="Dashboards").click()  # type: ignore[attr-defined]
    expect(alice.locator("[data-chart] svg path.line").first).to_be_attached()  # type: ignore[attr-defined]
    drill.wait_for("service.recovered", timeout_s=150)
    _shot(alice, "06-trainee-dashboards")
    alice.get_by_role("link", name="Incident").click()  # type: ignore[attr-defined]
    alice.get_by_role("button", name="→ RESOLVED").click()  # type: ignore[attr-defined]  # confirm: accepted
    expect(alice.locator("#inc-status")).to_have_text("RESOLVED")  # type: ignore[attr-defined]
    # The post-incident review, then the facilitator scores.
    alice.get_by_role("link", name="Review").click()  # type: ignore[attr-defined]
    alice.get_by_label("What happened?").fill("A forgotten transaction locked the orders table.")  # type: ignore[attr-defined]
    alice.get_by_label("item 1", exact=True).fill("Alert on lock waits")  # type: ignore[attr-defined]
    alice.get_by_label("owner of item 1").fill("alice")  # type: ignore[attr-defined]
    _shot(alice, "07-trainee-review")
    alice.get_by_role("button", name="Submit review").click()  # type: ignore[attr-defined]
    expect(alice.get_by_text("Your review is in.")).to_be_visible()  # type: ignore[attr-defined]
    boss.reload()  # type: ignore[attr-defined]
    boss.get_by_role("button", name="Score now").click(timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(boss.locator("#toast")).to_contain_text("Scoring")  # type: ignore[attr-defined]
    alice.get_by_role("link", name="Scorecard", exact=True).click()  # type: ignore[attr-defined]
    expect(alice.get_by_text("Your scorecard — alice (commander)")).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(alice.locator("#scorecard")).to_contain_text("What a good response looked like")  # type: ignore[attr-defined]
    _shot(alice, "08-trainee-scorecard")
    boss.reload()  # type: ignore[attr-defined]
    expect(boss.locator("#cards")).to_contain_text("bob", timeout=60_000)  # type: ignore[attr-defined]
    _shot(boss, "09-facilitator-scorecards")
    assert "alert" not in dialogs, "a script from user text ran"
