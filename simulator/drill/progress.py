"""Live progress of a drill in the terminal: the timeline as it happens, and the
SLIs every few seconds. Silent in --json mode."""

from __future__ import annotations

from rich.console import Console

from scoring.events import Event

QUIET_TYPES = {"sli.sample", "diagnostic.viewed"}
SLI_EVERY = 5


class Progress:
    def __init__(self, console: Console | None = None, show_faults: bool = True) -> None:
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        self.show_faults = show_faults  # a facilitator sees them; a trainee would not
        self.samples = 0

    def __call__(self, event: Event) -> None:
        if event.type == "sli.sample":
            self.samples += 1
            if self.samples % SLI_EVERY == 0:
                self.console.print(f"[dim]{_clock(event.t)}  {_slis(event.data)}[/dim]")
            return
        if event.type in QUIET_TYPES or (event.type.startswith("fault.") and not self.show_faults):
            return
        self.console.print(
            f"{_clock(event.t)}  [bold]{event.type:<24}[/bold] "
            f"[cyan]{event.actor:<10}[/cyan] {_describe(event)}"
        )


def _clock(t: float) -> str:
    return f"{int(t // 60):02d}:{t % 60:04.1f}"


def _pct(value: object) -> str:
    return f"{value:.1%}" if isinstance(value, int | float) else "n/a"


def _ms(value: object) -> str:
    return f"{value:.0f} ms" if isinstance(value, int | float) else "n/a"


def _slis(data: dict[str, object]) -> str:
    rps = data.get("rps")
    return (
        f"{rps if rps is not None else 0:.0f} req/s  errors {_pct(data.get('error_rate'))}  "
        f"p99 {_ms(data.get('p99_ms'))}  availability {_pct(data.get('availability'))}"
    )


def _describe(event: Event) -> str:
    d = event.data
    described = {
        "alert.firing": lambda: f"{d.get('name')}/{d.get('severity')} value {d.get('value')}",
        "alert.resolved": lambda: (
            f"{d.get('name')}/{d.get('severity')} ({d.get('reason') or 'cleared'})"
        ),
        "incident.update_posted": lambda: str((d.get("fields") or {}).get("summary", "")),
        "fault.injected": lambda: f"{d.get('kind')} {d.get('params') or ''}",
        "fault.reverted": lambda: f"{d.get('kind')} ({d.get('reason')})",
        "page.sent": lambda: f"level {d.get('level')} -> {d.get('target')}",
        "page.escalated": lambda: f"level {d.get('level')} -> {d.get('target')}",
        "incident.severity_set": lambda: f"{d.get('severity')}",
        "incident.assigned": lambda: f"{d.get('team')}",
        "incident.notified": lambda: f"via {d.get('channel')}",
        "report.received": lambda: f"{d.get('report_id')} {d.get('summary')}",
        "incident.status_changed": lambda: f"{d.get('from')} -> {d.get('to')}",
        "action.started": lambda: (
            f"{d.get('action')} {' '.join(map(str, d.get('args') or []))}".strip()
        ),
        "action.executed": lambda: (
            f"{d.get('action')} {' '.join(map(str, d.get('args') or []))}"
            f" [{d.get('result')}] {d.get('detail')}"
        ),
        "hint.given": lambda: str(d.get("text")),
        "steady_state.reached": lambda: _slis(d.get("slis") or {}),
        "service.recovered": lambda: _slis(d.get("slis") or {}),
        "drill.finished": lambda: str(d.get("outcome")),
        "drill.aborted": lambda: str(d.get("reason")),
    }.get(event.type)
    return described() if described else ""
