"""History: store scored drills, read them back, and compute trends (hand-checked)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import create_engine, text

from scoring.events import read_jsonl
from scoring.expectations import Expectations
from scoring.history import HistoryError, HistoryStore, TrendFilter, compute_trends
from scoring.history.render import render_history_html, trends_renderable
from scoring.playbook import load_playbook
from scoring.scorecard import score_drill

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
PLAYBOOK = load_playbook(None)
LOGS = sorted(GOLDEN.glob("*.jsonl"))


def fill(store: HistoryStore) -> None:
    for log in LOGS:
        events = read_jsonl(log)
        key = Expectations.model_validate(
            next(e for e in events if e.type == "answer_key.revealed").data
        )
        store.save(score_drill(events, key, PLAYBOOK), events, key)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[HistoryStore]:
    store = HistoryStore.open(f"sqlite:///{tmp_path / 'history.db'}")
    try:
        yield store
    finally:
        store.close()


def check_trends(store: HistoryStore) -> None:
    fill(store)
    fill(store)  # storing again replaces, never duplicates
    assert store.count() == len(LOGS) == 8
    trends = compute_trends(store, TrendFilter(), PLAYBOOK.escalation_rate_target)
    assert trends.team is not None and trends.autopilot is not None
    # Team totals of the 7 human drills: 40, 79, 88.4, 90.8, 95.7, 98, 100.
    assert trends.team.drills == 7
    assert trends.team.total.median == 90.8
    assert trends.team.total.mean == pytest.approx(591.9 / 7)
    # MTTR (real s): 720, 440, 390, 1100, 990 (early-resolve and aborted have none).
    assert trends.team.mttr.n == 5
    assert trends.team.mttr.median == 720
    assert trends.team.mttr.mean == pytest.approx((720 + 440 + 390 + 1100 + 990) / 5)
    # Escalation: only team.jsonl escalated, 1 of 8 drills, above the 10 % target.
    assert trends.escalated == 1 and trends.escalation_rate == pytest.approx(1 / 8)
    assert trends.team.pass_rate["escalation"] == pytest.approx(6 / 7)
    # MTTF of "shop": uptime 139+280+100+150+60+590+139+99 = 1557 s over 8 incidents.
    (shop,) = trends.mttf
    assert shop.target == "shop" and shop.incidents == 8
    assert shop.uptime_s == pytest.approx(1557) and shop.mttf_s == pytest.approx(1557 / 8)
    # bob took part in two drills (early-notice, team): totals 90.8 and 55.5 (own decisions only).
    bob = compute_trends(store, TrendFilter(trainee="bob"), 0.1)
    assert bob.drills == 2 and [t.name for t in bob.trainees] == ["bob"]
    assert bob.trainees[0].total.median == pytest.approx((90.8 + 55.5) / 2)
    # His own severity calls were both P2 for a P1: never passed.
    assert bob.trainees[0].pass_rate["severity"] == 0.0
    team = compute_trends(store, TrendFilter(team="payments"), 0.1)
    assert team.drills == 1 and team.team is not None and team.team.total.median == 79
    future = compute_trends(store, TrendFilter(since=datetime(2030, 1, 1, tzinfo=UTC)), 0.1)
    assert future.drills == 0 and future.team is None and future.escalation_rate is None
    # The stored log and answer key come back for `chaosdrill report DRILL_ID`.
    stored = store.load("golden-team")
    assert stored.events == read_jsonl(GOLDEN / "team.jsonl")
    assert stored.expectations.team == "dba"
    page = render_history_html(trends)
    assert page.count("<svg") == 3 and "https://" not in page
    assert trends.outcomes == {"aborted": 1, "finished": 7} and trends.interrupted == []


def test_trends_on_sqlite(sqlite_store: HistoryStore) -> None:
    check_trends(sqlite_store)


def test_an_interrupted_drill_is_stored_and_shown_as_interrupted(
    sqlite_store: HistoryStore,
) -> None:
    # What `kill -9` leaves: the log stops mid-drill, with no drill.finished or drill.aborted.
    whole = read_jsonl(GOLDEN / "autopilot.jsonl")
    key = Expectations.model_validate(
        next(e for e in whole if e.type == "answer_key.revealed").data
    )
    killed = [e.replace(drill_id="killed") for e in whole if e.t < 150]
    card = score_drill(killed, key, PLAYBOOK)
    assert card.outcome not in ("finished", "aborted")
    sqlite_store.save(card, killed, key)
    sqlite_store.save(score_drill(whole, key, PLAYBOOK), whole, key)
    trends = compute_trends(sqlite_store, TrendFilter(), PLAYBOOK.escalation_rate_target)
    assert trends.outcomes == {card.outcome: 1, "finished": 1}
    assert trends.interrupted == ["killed"]
    assert sqlite_store.load("killed").events == killed
    shown = Console(width=200, record=True)
    shown.print(trends_renderable(trends))
    text = shown.export_text()
    counts = ", ".join(f"1 {outcome}" for outcome in sorted(("finished", card.outcome)))
    assert f"Outcomes: {counts} — interrupted (engine killed): killed" in text


def test_unknown_drill_is_one_clear_error(sqlite_store: HistoryStore) -> None:
    with pytest.raises(HistoryError, match="no drill 'nope' in the history"):
        sqlite_store.load("nope")


def test_many_logs_read_back_in_the_order_asked(
    sqlite_store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(sqlite_store)
    monkeypatch.setattr("scoring.history.store.LOAD_CHUNK", 2)  # several chunks, one cut mid-way
    ids = [read_jsonl(log)[0].drill_id for log in LOGS][::-1]
    got = list(sqlite_store.events_of(ids))
    assert [drill_id for drill_id, _ in got] == ids
    assert all(events == sqlite_store.load(d).events for d, events in got)
    with pytest.raises(HistoryError, match="no drill 'nope' in the history"):
        list(sqlite_store.events_of([ids[0], "nope"]))


def test_default_database_is_local_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRILL_DB_URL", raising=False)
    store = HistoryStore.open()
    try:
        fill(store)
    finally:
        store.close()
    assert (tmp_path / ".chaosdrill" / "history.db").is_file()


@pytest.mark.postgres
def test_trends_on_postgres() -> None:
    url = os.environ.get("TEST_POSTGRES_URL")
    assert url, "TEST_POSTGRES_URL must point at a PostgreSQL server (see .ci/system-setup)"
    schema = f"history_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    store = HistoryStore(engine)
    try:
        check_trends(store)
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_severity_calibration_per_trainee_and_over_time(sqlite_store: HistoryStore) -> None:
    fill(sqlite_store)
    bob = compute_trends(sqlite_store, TrendFilter(trainee="bob"), 0.1)
    by_name = {c.name: c for c in bob.calibration}
    # bob called P2 for a P1 in both of his drills: under-classified twice.
    assert (by_name["bob"].too_high, by_name["bob"].right, by_name["bob"].too_low) == (0, 0, 2)
    assert by_name["bob"].trend == ["too low", "too low"] and by_name["bob"].marks == "↓ ↓"
    everyone = compute_trends(sqlite_store, TrendFilter(), 0.1)
    team = next(c for c in everyone.calibration if c.name == "team")
    assert team.too_high + team.right + team.too_low + team.none == everyone.team.drills  # type: ignore[union-attr]
    assert len(team.trend) == everyone.team.drills  # type: ignore[union-attr]
