"""The log invariants: what any drill log must satisfy before it is scored.

One checker, used by `chaosdrill score` / `report`, by the engine before it
scores, and by tests. `check(events)` is pure: it returns the violations, each
naming its rule and the seq numbers involved in one sentence, e.g.
"rule 2 (one end per fault): fault f-1a2b3c4d ends twice, at seq 41 and seq 44".

1. The first event is `drill.started`; seq values are unique and increasing;
   `t` never decreases with seq.
2. Each fault is injected at most once and ended (`fault.reverted`) at most once,
   with a known reason; an end refers to an injected fault and comes after it.
3. A `remediated` end names an action that started before the end
   (`action.started`; in a legacy log, `action.executed`).
4. Every `action.executed` with an `action_id` has an `action.started` with the
   same id before it (in logs that have any `action.started`).
5. A `service.recovered` comes after the end of every fault that was active when
   any alert fired before it.
6. A `breach.exposure` (what left in a credential drill) or `breach.accounts`
   (the accounts a stuffing opened) names an injected fault, at most once, after
   that fault's end.

A legacy log (written before actions had a start: no `action.started` at all) is
checked with its own vocabulary: a remediated end may point at an
`action.executed`, or say `remediated:ACTION`; `drill-end`, `manual` and `cleanup`
are known end reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from operator import attrgetter

from pydantic import BaseModel, ConfigDict

from scoring.events import Event

__all__ = [
    "END_REASONS",
    "LEGACY_END_REASONS",
    "RULES",
    "InconsistentLogError",
    "Violation",
    "check",
    "ensure_consistent",
    "is_legacy",
]

RULES: dict[int, str] = {
    1: "log order",
    2: "one end per fault",
    3: "a remediation names an action that started before it",
    4: "an action starts before it finishes",
    5: "recovery after the faults end",
    6: "one exposure record per fault, after its end",
}
END_REASONS = ("remediated", "duration", "ttl", "operator", "teardown", "abort")
LEGACY_END_REASONS = ("drill-end", "manual", "cleanup")


class Violation(BaseModel):
    """One broken invariant: the rule, the events involved, and one sentence."""

    model_config = ConfigDict(frozen=True)

    rule: int
    name: str
    seqs: tuple[int, ...]
    sentence: str

    def __str__(self) -> str:
        return self.sentence


class InconsistentLogError(ValueError):
    """A log that breaks the invariants; the message is one sentence per violation."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(v.sentence for v in self.violations))


def _violation(rule: int, seqs: Iterable[int], text: str) -> Violation:
    sentence = f"rule {rule} ({RULES[rule]}): {text}"
    return Violation(rule=rule, name=RULES[rule], seqs=tuple(seqs), sentence=sentence)


class _Found(list[Violation]):
    def add(self, rule: int, seqs: Iterable[int], text: str) -> None:
        self.append(_violation(rule, seqs, text))


def is_legacy(events: Iterable[Event]) -> bool:
    """True for a log written before actions were logged when they started."""
    return not any(e.type == "action.started" for e in events)


def check(events: Sequence[Event]) -> list[Violation]:
    """Every invariant the log breaks, in rule order (empty for a consistent log)."""
    found = _Found()
    ordered = sorted(events, key=attrgetter("seq"))  # stable: duplicates keep file order
    # Rules 2-5 are about a few event types only: most of a log is SLI samples, so they
    # walk these (in seq order) rather than the whole log four times.
    relevant = [e for e in ordered if e.type in _RULED_TYPES]
    legacy = is_legacy(relevant)
    _order(events, ordered, found)
    _faults(relevant, legacy, found)
    _remediations(ordered, relevant, legacy, found)
    if not legacy:
        _actions(relevant, found)
    _recoveries(relevant, found)
    _exposures(ordered, found)  # the whole log: breach.exposure is not among the ruled types
    return list(found)


# The types rules 2-5 read (rule 3 also looks any seq up in the whole log).
_RULED_TYPES = frozenset(
    {
        "fault.injected",
        "fault.reverted",
        "action.started",
        "action.executed",
        "alert.firing",
        "service.recovered",
    }
)


def ensure_consistent(events: Sequence[Event]) -> None:
    """Raise InconsistentLogError when `check` finds anything."""
    violations = check(events)
    if violations:
        raise InconsistentLogError(violations)


def _and_more(count: int) -> str:
    return f", and {count} more time{'s' if count > 1 else ''}" if count else ""


def _seq_list(seqs: Sequence[int]) -> str:
    shown = [f"seq {s}" for s in seqs]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _order(events: Sequence[Event], ordered: Sequence[Event], found: _Found) -> None:
    # A reversed or shuffled log would give one violation per pair: name the first, count the rest.
    if not events:
        found.add(1, (), "the log holds no events; it must start with drill.started")
        return
    first = events[0]
    if first.type != "drill.started":
        started = next((e for e in events if e.type == "drill.started"), None)
        where = f"drill.started is at seq {started.seq}" if started else "there is no drill.started"
        text = f"the first event is {first.type} (seq {first.seq}), not drill.started; {where}"
        found.add(1, (first.seq,), text)
    back = [(a, b) for a, b in pairwise(events) if b.seq <= a.seq]
    if back:
        a, b = back[0]
        what = (
            f"seq {b.seq} appears twice" if a.seq == b.seq else f"seq {b.seq} follows seq {a.seq}"
        )
        found.add(1, (a.seq, b.seq), f"{what} in the log's order{_and_more(len(back) - 1)}")
    earlier = [(a, b) for a, b in pairwise(ordered) if b.t < a.t]
    if earlier:
        a, b = earlier[0]
        text = f"t goes back from {a.t:g} s at seq {a.seq} to {b.t:g} s at seq {b.seq}"
        found.add(1, (a.seq, b.seq), text + _and_more(len(earlier) - 1))


def _fault_id(event: Event) -> str:
    return str(event.data.get("fault_id") or "")


def _faults(ordered: Sequence[Event], legacy: bool, found: _Found) -> None:
    injected: dict[str, list[int]] = defaultdict(list)
    ends: dict[str, list[Event]] = defaultdict(list)
    for event in ordered:
        if event.type == "fault.injected":
            injected[_fault_id(event)].append(event.seq)
        elif event.type == "fault.reverted":
            ends[_fault_id(event)].append(event)
    for fault, seqs in injected.items():
        if not fault:
            found.add(2, seqs, f"fault.injected at {_seq_list(seqs)} names no fault_id")
        elif len(seqs) > 1:
            found.add(
                2, seqs, f"fault {fault} is injected {_times(len(seqs))}, at {_seq_list(seqs)}"
            )
    for fault, reverts in ends.items():
        seqs = [e.seq for e in reverts]
        name = f"fault {fault}" if fault else "a fault.reverted that names no fault_id"
        if len(reverts) > 1:
            found.add(2, seqs, f"{name} ends {_times(len(seqs))}, at {_seq_list(seqs)}")
        first_in = injected.get(fault)
        if not first_in:
            found.add(2, seqs[:1], f"{name} ends at seq {seqs[0]} but was never injected")
        elif seqs[0] < first_in[0]:
            text = f"{name} ends at seq {seqs[0]}, before its injection at seq {first_in[0]}"
            found.add(2, (first_in[0], seqs[0]), text)
        for end in reverts:
            if not _known_reason(end, legacy):
                found.add(2, (end.seq,), _unknown_reason(end, name, legacy))


def _reason(event: Event) -> str:
    return str(event.data.get("reason") or "")


def _known_reason(event: Event, legacy: bool) -> bool:
    reason = _reason(event)
    kind, colon, action = reason.partition(":")
    legacy_ok = reason in LEGACY_END_REASONS or (kind == "remediated" and bool(colon and action))
    return reason in END_REASONS or (legacy and legacy_ok)


def _unknown_reason(event: Event, name: str, legacy: bool) -> str:
    allowed = ", ".join(END_REASONS)
    if legacy:
        allowed += ", or in a log without action.started remediated:ACTION, "
        allowed += ", ".join(LEGACY_END_REASONS)
    shown = repr(_reason(event)) if _reason(event) else "no reason"
    return f"{name} ends at seq {event.seq} with {shown}; the reason must be one of {allowed}"


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _remediations(
    ordered: Sequence[Event], relevant: Sequence[Event], legacy: bool, found: _Found
) -> None:
    by_seq = {e.seq: e for e in ordered}
    start_type = "action.executed" if legacy else "action.started"
    for end in relevant:
        if end.type != "fault.reverted":
            continue
        kind, _, named = _reason(end).partition(":")
        if kind != "remediated" or (named and not legacy):
            continue  # not a remediation, or one whose reason rule 2 already refuses
        ends = f"fault {_fault_id(end) or '(no fault_id)'} ends at seq {end.seq}"
        action_seq = _as_int(end.data.get("action_seq"))
        action_id = end.data.get("action_id")
        if action_seq is not None:
            problem = _named_start_problem(by_seq.get(action_seq), start_type, action_id, end)
            if problem:
                found.add(3, (end.seq, action_seq), f"{ends} {problem}")
            continue
        starts = [e for e in relevant if e.type == start_type and e.seq < end.seq]
        if action_id:
            match = [e for e in starts if e.data.get("action_id") == action_id]
            what = f"action {action_id}"
        elif legacy and named:
            match = [e for e in starts if e.data.get("action") == named]
            what = f"a {named} action"
        else:
            found.add(3, (end.seq,), f"{ends} as remediated but names no action")
            continue
        if not match:
            text = f"{ends} as remediated by {what}, but no {start_type} of it comes before"
            found.add(3, (end.seq,), text)


def _named_start_problem(
    start: Event | None, start_type: str, action_id: object, end: Event
) -> str | None:
    """Why `action_seq` does not name a fitting action start, or None when it does."""
    if start is None:
        missing = end.data.get("action_seq")
        return f"as remediated by the action at seq {missing}, which is not in the log"
    if start.type != start_type:
        return f"as remediated by seq {start.seq}, which is a {start.type}, not an {start_type}"
    if start.seq > end.seq:
        return f"as remediated by the action at seq {start.seq}, which comes after the end"
    if action_id and start.data.get("action_id") not in (None, action_id):
        other = start.data.get("action_id")
        return f"as remediated by action {action_id}, but seq {start.seq} starts action {other}"
    return None


def _actions(ordered: Sequence[Event], found: _Found) -> None:
    first_start: dict[str, int] = {}
    for event in ordered:
        if event.type == "action.started" and event.data.get("action_id"):
            first_start.setdefault(str(event.data["action_id"]), event.seq)
    for event in ordered:
        action_id = str(event.data.get("action_id") or "")
        if event.type != "action.executed" or not action_id:
            continue
        start = first_start.get(action_id)
        if start is None:
            found.add(
                4,
                (event.seq,),
                f"action {action_id} finishes at seq {event.seq} but it never started",
            )
        elif start > event.seq:
            text = (
                f"action {action_id} finishes at seq {event.seq} but it starts only at seq {start}"
            )
            found.add(4, (event.seq, start), text)


def _recoveries(ordered: Sequence[Event], found: _Found) -> None:
    first_end: dict[str, int] = {}
    for event in ordered:
        if event.type == "fault.reverted":
            first_end.setdefault(_fault_id(event), event.seq)
    active: set[str] = set()
    broke: dict[str, int] = {}  # fault active when an alert fired -> that alert's seq
    for event in ordered:
        fault = _fault_id(event)
        not_ended = first_end.get(fault, event.seq + 1) > event.seq
        if event.type == "fault.injected" and not_ended:
            active.add(fault)
        elif event.type == "fault.reverted":
            active.discard(fault)
        elif event.type == "alert.firing":
            for open_fault in sorted(active):
                broke.setdefault(open_fault, event.seq)
        elif event.type == "service.recovered":
            for open_fault, alert in broke.items():
                end = first_end.get(open_fault)
                if end is not None and end < event.seq:
                    continue
                tail = "it never ends" if end is None else f"it ends only at seq {end}"
                found.add(
                    5,
                    (event.seq, alert) if end is None else (event.seq, alert, end),
                    f"service.recovered at seq {event.seq} comes while fault {open_fault},"
                    f" active when the alert at seq {alert} fired, has not ended; {tail}",
                )


def _exposures(ordered: Sequence[Event], found: _Found) -> None:
    injected = {_fault_id(e) for e in ordered if e.type == "fault.injected"}
    ends = {_fault_id(e): e.seq for e in ordered if e.type == "fault.reverted"}
    first: dict[str, int] = {}
    for event in (e for e in ordered if e.type in ("breach.exposure", "breach.accounts")):
        fault = _fault_id(event)
        name = f"fault {fault or '(no fault_id)'}"
        if fault in first:
            text = f"{name} has two exposure records, at seq {first[fault]} and seq {event.seq}"
            found.add(6, (first[fault], event.seq), text)
        elif fault not in injected:
            text = f"the exposure at seq {event.seq} names {name}, which was never injected"
            found.add(6, (event.seq,), text)
        elif fault in ends and event.seq < ends[fault]:
            end = ends[fault]
            text = f"the exposure of {name} at seq {event.seq} comes before its end at seq {end}"
            found.add(6, (event.seq, end), text)
        first.setdefault(fault, event.seq)
