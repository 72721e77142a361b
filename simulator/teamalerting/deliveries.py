"""A team's delivery expectations: which alert reaches which receiver, per scenario.

    # deliveries.yml
    scenarios:
      app-crash:
        - alert: ShopDown            # alertname
          receiver: sre-pager        # a receiver of the team's alertmanager.yml
          within: 30s                # from the fault to the notification
          labels: {team: sre, severity: critical}   # the alert must carry these
          not_to: [web-slack]        # receivers that must not hear of it
        - alert: ShopScrapeFailing
          inhibited: true            # expected to be inhibited (no receiver)

`judge` turns one drill's run of the team's Alertmanager into JUnit cases, one
per scenario x expected alert x receiver. A wrong receiver is a one-line diff
naming the route Alertmanager matched; an inhibited alert is reported as
inhibited (and by what), never as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from scoring.durations import PositiveDuration
from scoring.yaml_source import YamlModel, describe_validation_error, load_located_yaml
from simulator.drill.verify import Case
from simulator.prometheus.errors import PrometheusError
from simulator.teamalerting.marking import DRILL_MARK, TEXT_KINDS
from simulator.teamalerting.observer import POLL_S, SeenAlert, TeamAlertmanager
from simulator.teamalerting.routes import matched_routes
from simulator.teamalerting.sinks import Notification


class Delivery(YamlModel):
    """One expected delivery (or expected inhibition) of an alert."""

    alert: str = Field(min_length=1)
    receiver: str | None = None
    within_s: PositiveDuration = Field(default=60.0, validation_alias="within")
    labels: dict[str, str] = Field(default_factory=dict)
    not_to: list[str] = Field(default_factory=list)
    inhibited: bool = False

    @model_validator(mode="after")
    def _one_outcome(self) -> Delivery:
        if (self.receiver is None) == (not self.inhibited):
            raise ValueError("give either receiver: NAME or inhibited: true")
        return self


class Deliveries(YamlModel):
    """The file: scenario id -> its expected deliveries."""

    scenarios: dict[str, list[Delivery]]


def load_deliveries(
    path: Path,
    receivers: Sequence[str],
    scenario_ids: Sequence[str],
    known_ids: Sequence[str] = (),
) -> Deliveries:
    """Read and check the file against the team's receivers and the scenarios drilled.
    A scenario of the library (`known_ids`) that this run does not drill keeps its
    expectations for another run: they are left out, not refused."""
    located = load_located_yaml(path, PrometheusError, what="deliveries")
    try:
        model = Deliveries.model_validate(located.data)
    except ValidationError as exc:
        raise PrometheusError(describe_validation_error(exc, located, Deliveries)) from None
    for scenario, expected in model.scenarios.items():
        if scenario not in scenario_ids and scenario not in known_ids:
            line = located.line_of(("scenarios", scenario))
            raise PrometheusError(
                f"{path}:{line}: scenarios.{scenario}: no such scenario among those drilled "
                f"({', '.join(scenario_ids)}) or in the library; fix the id or drill that "
                "scenario"
            )
        for index, delivery in enumerate(expected):
            for key, names in (("receiver", [delivery.receiver]), ("not_to", delivery.not_to)):
                for name in names:
                    if name is not None and name not in receivers:
                        line = located.line_of(("scenarios", scenario, index, key))
                        raise PrometheusError(
                            f"{path}:{line}: scenarios.{scenario}[{index}].{key}: no receiver "
                            f"{name!r} in the Alertmanager config; it has {', '.join(receivers)}"
                        )
    drilled = {k: v for k, v in model.scenarios.items() if k in scenario_ids}
    return model.model_copy(update={"scenarios": drilled})


def carries(notification: Notification, alert: SeenAlert) -> bool:
    """Whether `notification` told its receiver about `alert`: the labels for a webhook,
    Alertmanager's own routing for integrations whose payload is rendered text."""
    if not notification.firing or notification.receiver not in alert.receivers:
        return False
    if notification.integration == "webhook":
        return any(labels.get("alertname") == alert.name for labels in notification.alerts)
    return alert.delivered_state and notification.t >= alert.first_seen - 2 * POLL_S


def judge(
    scenario: str,
    expected: Sequence[Delivery],
    run: TeamAlertmanager,
    t0: float | None,
    config: Path,
) -> list[Case]:
    """One case per expected delivery (and per must-not receiver)."""
    return [case for delivery in expected for case in _judge(scenario, delivery, run, t0, config)]


def _judge(
    scenario: str, want: Delivery, run: TeamAlertmanager, t0: float | None, config: Path
) -> list[Case]:
    name = (
        f"{want.alert} is inhibited"
        if want.inhibited
        else f"{want.alert} -> {want.receiver} within {want.within_s:.0f}s"
    )
    seen = [a for a in run.alerts.values() if a.name == want.alert]
    if t0 is None:
        return [Case(scenario, name, False, "no fault was injected (the drill stopped early)")]
    if not seen:
        return [
            Case(
                scenario,
                name,
                False,
                f"`{want.alert}` never fired: the team's "
                "Alertmanager never received it during the drill",
            )
        ]
    inhibitors = sorted({n for a in seen for n in a.inhibited_by})
    if want.inhibited:
        if inhibitors:
            return [
                Case(scenario, name, True, f"inhibited by {', '.join(inhibitors)}, as expected")
            ]
        return [Case(scenario, name, False, f"`{want.alert}` was never inhibited")]
    assert want.receiver is not None
    cases = [_delivered(scenario, name, want, want.receiver, seen, inhibitors, run, t0, config)]
    for other in want.not_to:
        reached = [
            n for n in run.notifications for a in seen if n.receiver == other and carries(n, a)
        ]
        label = f"{want.alert} does not notify {other}"
        if reached:
            route = matched_routes(config, seen[0].labels).get(other, "?")
            cases.append(
                Case(
                    scenario,
                    label,
                    False,
                    f"`{want.alert}` reached `{other}`, which "
                    f"must not be notified; matched route: {route}",
                )
            )
        else:
            cases.append(Case(scenario, label, True, f"`{other}` heard nothing of it"))
    return cases


def _delivered(
    scenario: str,
    name: str,
    want: Delivery,
    receiver: str,
    seen: list[SeenAlert],
    inhibitors: list[str],
    run: TeamAlertmanager,
    t0: float,
    config: Path,
) -> Case:
    hits = [
        (n, a) for n in run.notifications for a in seen if n.receiver == receiver and carries(n, a)
    ]
    good = [(n, a) for n, a in hits if n.accepted]
    if good:
        note, alert = min(good, key=lambda pair: pair[0].t)
        latency = note.t - t0
        wrong = {
            k: (alert.labels.get(k), v) for k, v in want.labels.items() if alert.labels.get(k) != v
        }
        if wrong:
            diff = ", ".join(f"{k}={got} (expected {k}={exp})" for k, (got, exp) in wrong.items())
            return Case(scenario, name, False, f"reached `{receiver}` with {diff}", latency)
        if note.integration in TEXT_KINDS and DRILL_MARK not in note.text:
            return Case(
                scenario,
                name,
                False,
                f"reached `{receiver}` ({note.integration}) without the {DRILL_MARK} mark: "
                f"{note.text[:80]!r}",
                latency,
            )
        if latency > want.within_s:
            return Case(
                scenario,
                name,
                False,
                f"reached `{receiver}` ({note.integration}) only "
                f"{latency:.1f}s after the fault (budget {want.within_s:.0f}s)",
                latency,
            )
        return Case(
            scenario,
            name,
            True,
            f"reached `{receiver}` ({note.integration}) {latency:.1f}s after the fault",
            latency,
        )
    if hits:
        note = hits[0][0]
        return Case(
            scenario,
            name,
            False,
            f"`{receiver}`'s {note.integration} service refused "
            f"the notification ({note.status}): {'; '.join(note.problems)}",
        )
    if inhibitors:
        return Case(
            scenario,
            name,
            False,
            f"`{want.alert}` was inhibited by "
            f"{', '.join(inhibitors)}, so nothing reached `{receiver}` (inhibited, not lost)",
        )
    actual = sorted({r for a in seen for r in a.receivers})
    if receiver not in actual:
        routes = matched_routes(config, seen[0].labels)
        went = ", ".join(f"`{r}`" for r in actual) or "no receiver"
        where = "; ".join(f"{routes.get(r, '?')}" for r in actual)
        return Case(
            scenario,
            name,
            False,
            f"`{want.alert}` went to {went}, expected `{receiver}`; matched route: {where}",
        )
    return Case(
        scenario,
        name,
        False,
        f"`{want.alert}` is routed to `{receiver}` but no "
        "notification arrived during the drill (a mute time interval, or it resolved "
        "before group_wait)",
    )
