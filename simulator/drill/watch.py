"""What the engine watches besides the detector: the steady-state baseline, the
measured degradation during the incident, and the reports from outside.

- `record_baseline()`: per-route latency percentiles and error shares over the
  last seconds of steady state (`baseline.recorded`; `baseline.json` for the views).
- `tick()`: every few seconds of the incident, how far the site and its worst
  route are from the baseline (`degradation.measured`, the facts the scorecard
  names the measured band from), and, when the scenario asks for them, reports:
  a synthetic check of the storefront page, and customers' support tickets about
  the real failing or slow requests the load saw, arriving after a delay
  (`report.received`).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring.events import Event
from scoring.playbook import Triage
from simulator.drill import baseline
from simulator.drill.accesslog import ACCESS_LOG, access_log
from simulator.drill.affected import check_storefront, customer_of
from simulator.drill.eventlog import EventLog
from simulator.env.state import EnvState, load_state
from simulator.scenario.model import Reports

if TYPE_CHECKING:
    from faker import Faker

MEASURE_EVERY_S = 5.0
MEASURE_WINDOW_S = 10.0
CHECK_EVERY_S = 5.0
MAX_TICKETS = 3
ACTOR = "engine"


class TriageWatch:
    def __init__(
        self, log: EventLog, state_dir: Path, triage: Triage, reports: Reports, seed: int = 0
    ) -> None:
        self.log, self.state_dir, self.triage, self.reports = log, state_dir, triage, reports
        self.base: dict[str, baseline.RouteStats] | None = None
        self._next_measure = 0.0
        self._next_check = 0.0
        self._storefront_reported = False
        self._pending: list[tuple[float, dict[str, Any]]] = []  # (due drill time, ticket)
        self._ticketed: set[str] = set()  # what customers already complained about
        self._tickets = 0
        self._seed = seed
        self._faker_instance: Faker | None = None
        self._rng = random.Random(seed)

    def _faker(self) -> Faker:
        """Names for customer tickets, seeded once; made on the first ticket (Faker's
        providers cost a start-up that most drills never need)."""
        if self._faker_instance is None:
            from faker import Faker

            self._faker_instance = Faker()
            self._faker_instance.seed_instance(self._seed)
        return self._faker_instance

    def _state(self) -> EnvState | None:
        return load_state(self.state_dir)

    def record_baseline(self, steady_s: float) -> None:
        """The steady state's per-route numbers over its last `steady_s` seconds (at
        most `BASELINE_WINDOW_S`): logged, and saved for the views."""
        state = self._state()
        if state is None:
            return
        window = max(1.0, min(steady_s, baseline.BASELINE_WINDOW_S))
        if not (Path(state.data_dir) / ACCESS_LOG).is_file():
            # A shop in a cluster logs there, not here: say so rather than measure nothing.
            why = f"the shop's access log is not on this host ({state.backend} backend)"
            self.log.append("baseline.skipped", {"reason": why}, ACTOR)
            return
        stats = baseline.summarize(access_log(state, time.time() - window))
        if not stats:
            return
        self.base = stats
        baseline.save(self.state_dir, stats)
        self.log.append(
            "baseline.recorded",
            {"window_s": round(window, 1), "routes": baseline.to_data(stats)},
            ACTOR,
        )

    def tick(self, now: float, t0: float) -> list[Event]:
        """Measure and look for reports when due; returns the reports received now."""
        state = self._state()
        if state is None:
            return []
        received: list[Event] = []
        if now >= self._next_measure:
            self._next_measure = now + MEASURE_EVERY_S
            self._measure(state, now, t0)
        if self.reports.storefront_check and now >= self._next_check:
            self._next_check = now + CHECK_EVERY_S
            received += self._check_storefront(state)
        for due, ticket in [p for p in self._pending if p[0] <= now]:
            self._pending.remove((due, ticket))
            received.append(self.log.append("report.received", ticket, ACTOR))
        return received

    def _measure(self, state: EnvState, now: float, t0: float) -> None:
        entries = access_log(state, time.time() - MEASURE_WINDOW_S)
        current = baseline.summarize(entries)
        if self.base is not None:
            per_route = baseline.degradations(current, self.base)
            site = baseline.site_degradation(current, self.base)
            worst = max(per_route, key=lambda r: per_route[r]) if per_route else None
            data: dict[str, Any] = {
                "window_s": MEASURE_WINDOW_S,
                "site_pct": site,
                "routes": per_route,
                "worst_route": worst,
                "worst_pct": per_route[worst] if worst else None,
            }
            if worst is not None:
                data["band"] = self.triage.band(max(site or 0.0, per_route[worst]))
            self.log.append("degradation.measured", data, ACTOR)
            if self.reports.customer_tickets:
                for route, pct in per_route.items():
                    if pct >= self.triage.p2_from * 100:
                        self._ticket_slow(route, pct, now)
        if self.reports.customer_tickets:
            since = time.time() - (now - t0)
            for entry in entries:
                failed = int(entry.get("status", 0)) >= 500
                recent = float(entry.get("ts", 0)) >= since
                if entry.get("logger") == "shop.access" and failed and recent:
                    self._ticket_failure(entry, now)

    def _ticket(self, key: str, now: float, data: dict[str, Any]) -> None:
        if key in self._ticketed or self._tickets >= MAX_TICKETS:
            return
        self._ticketed.add(key)
        self._tickets += 1
        delay = self.reports.ticket_delay_s * self._rng.uniform(0.8, 1.5)
        ticket = {
            "report_id": f"TCK-{self._tickets}",
            "source": "customer",
            "channel": "support_ticket",
            "customer": self._faker().name(),
            **data,
        }
        self._pending.append((now + delay, ticket))

    def _ticket_failure(self, entry: dict[str, Any], now: float) -> None:
        path = str(entry.get("path"))
        who = customer_of(entry)
        self._ticket(
            f"fail {entry.get('route')}",
            now,
            {
                "summary": f"I get an error when I open {path}"
                + (f" (customer #{who})" if who else ""),
                "request": {
                    "method": entry.get("method"),
                    "path": path,
                    "query": entry.get("query", ""),
                    "status": entry.get("status"),
                    "at_wall": entry.get("ts"),
                },
            },
        )

    def _ticket_slow(self, route: str, pct: float, now: float) -> None:
        self._ticket(
            f"slow {route}",
            now,
            {
                "summary": f"{route.split(' ', 1)[-1]} has been really slow for a while",
                "request": {"route": route, "degraded_pct": pct},
            },
        )

    def _check_storefront(self, state: EnvState) -> list[Event]:
        result = check_storefront(state.shop.url)
        if result["ok"] or self._storefront_reported:
            return []
        self._storefront_reported = True
        data = {
            "report_id": "SYN-1",
            "source": "synthetic",
            "channel": "synthetic_check",
            "summary": f"storefront check failed: {'; '.join(result['problems'])}",
            "check": result,
        }
        return [self.log.append("report.received", data, ACTOR)]
