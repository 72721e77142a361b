"""A console session: its tokens, the scenario picker, and the drills run one after another.

`chaosdrill run SCENARIO` is a session with one fixed scenario; `chaosdrill
console` lets the facilitator pick scenario after scenario. Phases: `lobby`
(pick a scenario, people join), `running`, `review`, `scored` (debrief; then
the next drill, or the end of the session).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from scoring.playbook import Playbook
from simulator.console.auth import Principal, Role, Tokens
from simulator.console.live import DrillSettings, LiveDrill
from simulator.console.stream import StreamHub
from simulator.faults.registry import check_params
from simulator.scenario.loader import default_scenario_dir, load_scenarios
from simulator.scenario.model import Scenario

__all__ = ["ConsoleSession", "SessionError"]


class SessionError(ValueError):
    """A request the session's phase does not allow; one sentence (HTTP 409)."""


class ConsoleSession:
    def __init__(
        self,
        settings: DrillSettings,
        *,
        scenario: Scenario | None = None,
        scenario_dir: Path | None = None,
        single: bool = False,
    ) -> None:
        self.settings = settings
        self.single = single  # one drill, then the session ends (`chaosdrill run`)
        self.tokens = Tokens()
        self.hub = StreamHub()
        self.scenario = scenario
        self.scenario_dir = scenario_dir
        self.live: LiveDrill | None = None
        self.past: list[LiveDrill] = []
        self.base_url = ""
        self.closed = asyncio.Event()
        self.close_requested = asyncio.Event()
        self.scored = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stage_listeners: list[Callable[[str], None]] = []
        self._library: list[Scenario] | None = None
        self.reminder: asyncio.Task[None] | None = None  # the review window's reminder

    @property
    def playbook(self) -> Playbook:
        return self.settings.playbook

    @property
    def phase(self) -> str:
        if self.live is None:
            return "lobby"
        return "running" if self.live.stage == "running" else self.live.stage

    # -- scenarios -------------------------------------------------------------------
    def library(self) -> list[Scenario]:
        if self._library is None:
            self._library = load_scenarios(
                self.scenario_dir or default_scenario_dir(),
                check_params=check_params,
                playbook=self.playbook,
            )
        return self._library

    def choose(self, scenario_id: str) -> Scenario:
        if self.phase != "lobby":
            raise SessionError("a drill is under way; pick the next scenario after its debrief")
        if self.single and self.scenario is not None and self.scenario.id != scenario_id:
            raise SessionError("this console runs one scenario; start `chaosdrill console` to pick")
        for scenario in self.library():
            if scenario.id == scenario_id:
                self.scenario = scenario
                self.hub.announce("lobby", {"reload": True})
                return scenario
        raise SessionError(f"no scenario '{scenario_id}'; pick one from the list")

    # -- people ----------------------------------------------------------------------
    def join(self, name: str, duty: str) -> Principal:
        """A trainee joins under a name (the open join link or the facilitator adds them)."""
        principal = self.tokens.add_trainee(name, duty)
        if self.live is not None and self.live.stage == "running":
            # Late joiners are not in drill.started; record who they are and what they do.
            self.live.log.append(
                "participant.joined", {"name": principal.name, "role": principal.duty}, "console"
            )
        self.hub.announce(self.phase, {"joined": principal.name})
        return principal

    def link(self, principal: Principal) -> str:
        return f"{self.base_url}/join/{principal.token}"

    # -- the drill -------------------------------------------------------------------
    def start(self) -> LiveDrill:
        """Start the chosen scenario (in the running loop)."""
        if self.phase != "lobby":
            raise SessionError(f"cannot start: the session is in its {self.phase} phase")
        if self.scenario is None:
            raise SessionError("pick a scenario first")
        live = LiveDrill(self.scenario, self.settings, self.tokens.trainees, self._stage_changed)
        self.live = live
        self.hub.attach(live.log)
        self._task = asyncio.create_task(live.run(), name=f"drill {live.drill.id}")
        self._stage_changed("running")  # after the task exists: listeners may schedule after it
        return live

    def _stage_changed(self, stage: str) -> None:
        self.hub.announce(stage, {"reload": stage in ("running", "review", "scored")})
        for listener in self.stage_listeners:
            listener(stage)
        if stage == "scored":
            self.scored.set()

    def next_drill(self) -> None:
        """Back to the picker after a debrief (the join links stay valid)."""
        if self.phase != "scored":
            raise SessionError("the current drill has not been scored yet")
        if self.single:
            raise SessionError("this console runs one drill; end the session instead")
        assert self.live is not None
        self.past.append(self.live)
        self.live = None
        self.scenario = None
        self.scored.clear()
        self.hub.announce("lobby", {"reload": True})

    def require_live(self) -> LiveDrill:
        if self.live is None:
            raise SessionError("no drill has started yet; wait for the facilitator")
        return self.live

    def require_running(self) -> LiveDrill:
        live = self.require_live()
        if live.stage != "running" or live.drill.phase in ("teardown", "done"):
            raise SessionError("the drill is over; nothing more can change")
        return live

    def request_close(self) -> None:
        """Ask the server to end the session (the facilitator's "End session")."""
        self.hub.announce("closed", {"reload": False})
        self.close_requested.set()

    async def close(self) -> None:
        """End the session: abort a running drill, wait for its results, end the streams."""
        if self.live is not None and self.live.stage == "running":
            self.live.drill.abort("the console session was closed")
        if self.live is not None and self.live.stage == "review":
            self.live.score_now()
        if self._task is not None:
            await asyncio.shield(self._task)
        self.hub.close()
        self.hub.detach()
        for live in [*self.past, *([self.live] if self.live else [])]:
            live.log.close()
        self.closed.set()

    def role_tokens(self) -> dict[str, Principal]:
        return {
            Role.FACILITATOR: self.tokens.facilitator,
            Role.OBSERVER: self.tokens.observer,
            Role.JOIN: self.tokens.join,
        }
