"""`chaosdrill verify` judging over synthetic drills (simulator/drill/verify.py).

The scorecard comes from the real scoring (`score_drill`) on a small event list;
only the drill itself is synthetic.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scoring.events import Event
from scoring.expectations import Expectations
from scoring.playbook import Playbook, load_playbook
from scoring.scorecard import score_drill
from simulator.drill.results import DrillResult
from simulator.drill.verify import Case, Triage, Verdict, accuracy, judge, write_junit

PLAYBOOK: Playbook = load_playbook()
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SCENARIO = "db-lock"

EXPECTED = Expectations.model_validate(
    {
        "alerts": [
            {"name": "error_rate", "severity": "high", "within": "30s"},  # fires at +15 s
            {"name": "availability", "severity": "medium", "within": "10s"},  # fires late
            {"name": "latency_p99", "severity": "critical", "within": "60s"},  # only high
        ],
        "severity": "P1",
        "team": "dba",
        "root_cause": "a long transaction holds the table lock",
        "root_cause_area": "database",
        "remediations": ["db.kill_long_queries"],
        "harmful": ["db.restore"],
    }
)


class Log:
    """Builds a synthetic event list in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(
        self, t: float, type_: str, data: dict[str, Any] | None = None, actor: str = "engine"
    ) -> None:
        self.events.append(
            Event(
                seq=len(self.events) + 1,
                drill_id="drill-verify-1",
                type=type_,
                t=t,
                wall=START + timedelta(seconds=t),
                actor=actor,
                data=data or {},
            )
        )


def drill(
    *,
    inject: bool = True,
    recover: bool = True,
    action: str = "db.kill_long_queries",
    action_result: str = "ok",
    severity: str = "P1",
    team: str = "dba",
) -> list[Event]:
    log = Log()
    log.add(0.0, "drill.started", {"scenario_id": SCENARIO, "title": "DB lock", "time_scale": 1.0})
    log.add(5.0, "steady_state.reached", {"slis": {"rps": 50.0}})
    if inject:
        log.add(10.0, "fault.injected", {"fault_id": "f1", "kind": "db.lock", "target": "shop"})
        for t, name, level in (
            (25.0, "error_rate", "high"),
            (30.0, "latency_p99", "high"),
            (40.0, "availability", "medium"),
        ):
            log.add(
                t,
                "alert.firing",
                {"alert_id": f"a-{name}", "name": name, "severity": level},
                "detector",
            )
        log.add(25.1, "page.sent", {"page_id": "PG-1", "alert_id": "a-error_rate", "level": 1})
        log.add(
            31.0, "incident.acknowledged", {"incident_id": "INC-1", "page_id": "PG-1"}, "autopilot"
        )
        log.add(
            33.0,
            "incident.severity_set",
            {"incident_id": "INC-1", "severity": severity},
            "autopilot",
        )
        log.add(34.0, "incident.assigned", {"incident_id": "INC-1", "team": team}, "autopilot")
        log.add(
            40.0,
            "action.executed",
            {"action": action, "args": [], "result": action_result, "detail": "done"},
            "autopilot",
        )
        if recover:
            log.add(
                41.0,
                "fault.reverted",
                {
                    "fault_id": "f1",
                    "kind": "db.lock",
                    "reason": "remediated",
                    "action_seq": len(log.events),
                },
            )
            log.add(
                72.5,
                "service.recovered",
                {"slis": {"rps": 50.0}, "confirm_window_s": 20},
                "detector",
            )
    log.add(90.0, "drill.finished", {"outcome": "resolved" if recover else "time_limit"})
    return log.events


def result_of(events: list[Event]) -> DrillResult:
    card = score_drill(events, EXPECTED, PLAYBOOK)
    return DrillResult("drill-verify-1", card.outcome, card, {}, {})


def verdict_of(events: list[Event]) -> Verdict:
    return judge(SCENARIO, result_of(events), events, EXPECTED)


def case(verdict: Verdict, starts: str) -> Case:
    (found,) = [c for c in verdict.cases if c.name.startswith(starts)]
    return found


def test_an_alert_within_budget_passes_with_its_latency() -> None:
    c = case(verdict_of(drill()), "alert error_rate/high")
    assert c.name == "alert error_rate/high fires within 30s"
    assert c.passed
    assert c.message == "fired 15.0s after the fault at severity high"
    assert c.seconds == pytest.approx(15.0)
    assert c.scenario == SCENARIO


def test_a_late_alert_fails_with_the_measured_latency_and_budget() -> None:
    c = case(verdict_of(drill()), "alert availability/medium")
    assert not c.passed
    assert c.message == "fired only after 30.0s (budget 10s) at severity medium"
    assert c.seconds == pytest.approx(30.0)


def test_an_alert_below_the_expected_severity_never_fired() -> None:
    c = case(verdict_of(drill()), "alert latency_p99/critical")
    assert not c.passed
    assert c.message == "never fired at critical or worse during the drill"
    assert c.seconds == 0.0


def test_one_case_per_expected_alert_plus_recovery() -> None:
    verdict = verdict_of(drill())
    assert [c.name for c in verdict.cases] == [
        "alert error_rate/high fires within 30s",
        "alert availability/medium fires within 10s",
        "alert latency_p99/critical fires within 60s",
        "service recovers after remediation",
    ]
    assert not verdict.passed  # two alert cases fail


def test_measured_recovery_passes_naming_the_fix() -> None:
    c = case(verdict_of(drill()), "service recovers")
    assert c.passed
    assert c.seconds == pytest.approx(62.5)
    assert c.message == (
        "recovered 62.5s after the fault (SLIs inside thresholds for 20s) "
        "after db.kill_long_queries"
    )


def test_no_measured_recovery_fails_listing_the_actions_taken() -> None:
    c = case(verdict_of(drill(recover=False)), "service recovers")
    assert not c.passed
    assert c.message == "no measured recovery; actions taken: db.kill_long_queries"


def test_failed_actions_are_not_counted_as_taken() -> None:
    c = case(verdict_of(drill(recover=False, action_result="error")), "service recovers")
    assert c.message == "no measured recovery; actions taken: nothing"


def test_a_drill_that_stopped_before_the_fault_fails_recovery() -> None:
    events = drill(inject=False)
    verdict = verdict_of(events)
    c = case(verdict, "service recovers")
    assert not c.passed
    assert c.message == "no fault was injected (the drill stopped early)"
    assert all(not a.passed for a in verdict.cases)


def test_all_cases_passing_makes_a_passing_verdict() -> None:
    events = drill()
    easy = EXPECTED.model_copy(update={"alerts": EXPECTED.alerts[:1]})
    card = score_drill(events, easy, PLAYBOOK)
    verdict = judge(SCENARIO, DrillResult("d", card.outcome, card, {}, {}), events, easy)
    assert [c.passed for c in verdict.cases] == [True, True]
    assert verdict.passed


def test_triage_compares_the_autopilots_decisions_with_the_answer_key() -> None:
    assert verdict_of(drill()).triage == Triage(severity=True, team=True, remediation=True)
    wrong = verdict_of(drill(severity="P0", team="sre", action="db.restore", recover=False))
    assert wrong.triage == Triage(severity=False, team=False, remediation=False)


def test_triage_ignores_other_actors() -> None:
    events = drill()
    # A trainee's later decisions do not change how the autopilot is judged.
    extra = Log()
    extra.events = list(events)
    extra.add(95.0, "incident.severity_set", {"severity": "P3"}, "trainee:ann")
    extra.add(96.0, "incident.assigned", {"team": "frontend"}, "trainee:ann")
    assert judge(SCENARIO, result_of(events), extra.events, EXPECTED).triage == Triage(
        True, True, True
    )


def test_triage_uses_the_last_severity_and_the_first_action() -> None:
    log = Log()
    log.events = [e for e in drill() if e.type != "drill.finished"]
    log.add(80.0, "incident.severity_set", {"severity": "P2"}, "autopilot")
    log.add(
        81.0, "action.executed", {"action": "db.restore", "args": [], "result": "ok"}, "autopilot"
    )
    triage = judge(SCENARIO, result_of(log.events), log.events, EXPECTED).triage
    assert triage == Triage(severity=False, team=True, remediation=True)


def test_write_junit_is_valid_and_counts_failures(tmp_path: Path) -> None:
    good = verdict_of(drill())
    bad = judge("db-down", result_of(drill(recover=False)), drill(recover=False), EXPECTED)
    path = tmp_path / "reports" / "verify.xml"
    write_junit([good, bad], path)
    root = ET.parse(path).getroot()
    assert path.read_text(encoding="utf-8").startswith("<?xml")
    assert root.tag == "testsuite"
    cases = root.findall("testcase")
    assert root.get("tests") == str(len(cases)) == "8"
    failures = [c for c in cases if c.find("failure") is not None]
    expected_failures = sum(not c.passed for v in (good, bad) for c in v.cases)
    assert root.get("failures") == str(len(failures)) == str(expected_failures) == "5"
    recovery = [c for c in cases if c.get("name") == "service recovers after remediation"]
    assert [c.get("classname") for c in recovery] == ["scenario.db-lock", "scenario.db-down"]
    passed_out = recovery[0].find("system-out")
    assert passed_out is not None and "recovered 62.5s after the fault" in (passed_out.text or "")
    assert recovery[0].get("time") == "62.500"
    failure = recovery[1].find("failure")
    assert failure is not None
    assert (
        failure.get("message")
        == failure.text
        == ("no measured recovery; actions taken: db.kill_long_queries")
    )


def test_write_junit_with_nothing_to_report(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    write_junit([], path)
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures"), root.findall("testcase")) == ("0", "0", [])


def test_accuracy_counts_correct_triage_decisions() -> None:
    verdicts = [
        Verdict("a", triage=Triage(True, True, True)),
        Verdict("b", triage=Triage(False, True, False)),
        Verdict("c", triage=Triage(True, False, False)),
        Verdict("aborted"),  # no triage: not counted
    ]
    assert accuracy(verdicts) == {
        "severity": (2, 3),
        "team": (2, 3),
        "remediation": (1, 3),
    }
    assert accuracy([]) == {"severity": (0, 0), "team": (0, 0), "remediation": (0, 0)}


def test_accuracy_of_judged_drills() -> None:
    verdicts = [
        verdict_of(drill()),
        verdict_of(drill(severity="P2", action="db.restore", recover=False)),
    ]
    assert accuracy(verdicts) == {"severity": (1, 2), "team": (2, 2), "remediation": (1, 2)}


def _with_end(events: list[Event], reason: str) -> list[Event]:
    """The drill without a recovery, plus an end of the fault for `reason`, then a
    measured recovery after it."""
    log = events[:-1]  # drop drill.finished
    t = log[-1].t
    extra = [
        ("fault.reverted", {"fault_id": "f1", "kind": "db.lock", "reason": reason}, "engine"),
        ("service.recovered", {"slis": {"rps": 50.0}, "confirm_window_s": 20}, "detector"),
        ("drill.finished", {"outcome": "time_limit"}, "engine"),
    ]
    for n, (kind, data, actor) in enumerate(extra, 1):
        log.append(
            Event(
                seq=log[-1].seq + 1,
                drill_id=log[0].drill_id,
                type=kind,
                t=t + 10 * n,
                wall=log[-1].wall,
                actor=actor,
                data=data,
            )
        )
    return log


def test_recovery_after_the_fault_expired_is_not_the_fixs() -> None:
    c = case(verdict_of(_with_end(drill(recover=False), "ttl")), "service recovers")
    assert not c.passed
    assert "expired" in c.message and "nobody fixed it" in c.message, c.message


def test_a_recovery_before_the_fix_does_not_count() -> None:
    events = drill()
    fix = next(e for e in events if e.type == "fault.reverted")
    recovered = next(e for e in events if e.type == "service.recovered")
    # The same facts, but the recovery is logged before the remediated end.
    reordered = [e for e in events if e.seq not in (fix.seq, recovered.seq)]
    at = reordered.index(next(e for e in reordered if e.type == "drill.finished"))
    early = recovered.replace(seq=fix.seq, t=fix.t)
    late_fix = fix.replace(seq=recovered.seq, t=recovered.t)
    reordered[at:at] = [early, late_fix]
    c = case(verdict_of(reordered), "service recovers")
    assert not c.passed
    assert "was still active when the service was measured as recovered" in c.message
