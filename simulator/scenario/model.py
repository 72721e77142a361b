"""The scenario YAML as pydantic models: one drill, its faults and its answer key.

A scenario file is what a facilitator picks and a CI job replays. Everything a
trainee may see (title, briefing, difficulty, tags, time limit) is separate from
the answer key (`faults`, `expected`, `hints`), which only facilitators, scoring
and the post-drill review read. See scenarios/app-crash.yaml for a full example.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from scoring.durations import Duration, PositiveDuration
from scoring.expectations import Expectations
from scoring.names import FAULT_KINDS
from scoring.playbook import YamlModel, enum_schema, known
from simulator.faults.limits import DRILL_TTL_MARGIN_S
from simulator.platform.names import OWN_CLUSTER, PlatformName

__all__ = [
    "DEFAULT_CONFIRM_RECOVERY_S",
    "Fault",
    "FaultKindName",
    "Hint",
    "Load",
    "Scenario",
    "SliQueries",
    "SteadyState",
    "Target",
]

# Used only when neither the scenario nor a playbook says how long recovery must hold.
DEFAULT_CONFIRM_RECOVERY_S = 60.0

FaultKindName = Annotated[
    str, AfterValidator(known("fault kind", FAULT_KINDS)), enum_schema(FAULT_KINDS)
]
Fraction = Annotated[float, Field(ge=0, le=1)]


DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
LabelKey = Annotated[
    str, Field(max_length=316, pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
]
LabelValue = Annotated[
    str, Field(max_length=63, pattern=r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
]

PromQL = Annotated[StrictStr, Field(min_length=1, max_length=4096)]


class SliQueries(YamlModel):
    """A team's own PromQL for the SLIs a drill on a cluster queries from its Prometheus
    (docs/kubernetes.md); an SLI not named here is the shop's query (or --sli-queries')."""

    rps: PromQL | None = None  # requests a second
    error_rate: PromQL | None = None  # a fraction 0..1
    p50_ms: PromQL | None = None
    p99_ms: PromQL | None = None
    availability: PromQL | None = None  # a fraction 0..1


class Target(YamlModel):
    """What the drill runs against; the engine refuses a scenario its environment cannot serve."""

    database: Literal["sqlite", "postgres", "any"] = "any"
    version: str = Field(default="1.0.0", pattern=r"^\d+\.\d+\.\d+$")
    backend: Literal[PlatformName, "any"] = "any"  # any: wherever its faults can act
    # The drill initdbs and runs a PostgreSQL cluster of its own (WAL archive, base
    # backups, point-in-time restore) instead of using --database-url.
    own_cluster: bool = False
    # replica: catalog pages (products, search) read from the database replica, so its
    # lag is visible to customers as stale prices and stock. Everything else: primary.
    catalog_reads: Literal["primary", "replica"] = "primary"
    # kubernetes: a team's own service, drilled instead of the shop (docs/kubernetes.md).
    # The namespace must be on the allow-list (CHAOSDRILL_K8S_NAMESPACES), checked at run.
    namespace: str | None = Field(default=None, max_length=63, pattern=DNS_LABEL)
    deployment: str | None = Field(default=None, max_length=253, pattern=DNS_NAME)
    # The pods the faults select (default: the Deployment's matchLabels); they must be
    # labels of its pod template, so nothing outside the Deployment is touched.
    selector: dict[LabelKey, LabelValue] | None = Field(default=None, min_length=1)
    # The SLIs' PromQL in the team's Prometheus, when its metrics are not the shop's.
    slis: SliQueries | None = None

    @model_validator(mode="after")
    def _own_cluster(self) -> Target:
        if self.own_cluster and (self.database != "postgres" or self.backend not in OWN_CLUSTER):
            where = " or ".join(OWN_CLUSTER)
            raise ValueError(
                f"own_cluster: true runs the drill's own PostgreSQL on the {where} platform; "
                f"set database: postgres and backend: {where}"
            )
        if self.catalog_reads == "replica" and self.database != "postgres":
            raise ValueError(
                "catalog_reads: replica reads the catalog from a PostgreSQL replica; "
                "set database: postgres"
            )
        return self


class Load(YamlModel):
    """The Locust load that runs through the whole drill (real users of the shop)."""

    users: int = Field(default=20, ge=1, le=2000)
    spawn_rate: float = Field(default=10, gt=0)
    profile: Literal["shop", "catalog", "orders", "partner"] = "shop"
    seed: int = 0


class SteadyState(YamlModel):
    """The SLIs that must hold before the first fault; the drill waits up to `timeout`."""

    max_error_rate: Fraction = 0.01
    max_p99_ms: float = Field(default=500, gt=0)
    min_rps: float = Field(default=5, ge=0)
    timeout_s: PositiveDuration = Field(default=60.0, validation_alias="timeout")


class Fault(YamlModel):
    """One fault: injected `at` after steady state; ends when remediated or after `duration`."""

    at_s: Duration = Field(validation_alias="at")
    kind: FaultKindName
    params: dict[str, Any] = Field(default_factory=dict)
    until: Literal["remediated", "duration"] = "remediated"
    duration_s: PositiveDuration | None = Field(default=None, validation_alias="duration")
    # Far-side safety net: the fault reverts itself after this even if the engine is gone.
    ttl_s: PositiveDuration | None = Field(default=None, validation_alias="ttl")

    @model_validator(mode="after")
    def _ending(self) -> Fault:
        if self.until == "duration" and self.duration_s is None:
            raise ValueError("until: duration needs a duration, e.g. duration: 30s")
        if self.until == "remediated" and self.duration_s is not None:
            raise ValueError("duration is only used with until: duration; remove it or set until")
        if self.ttl_s is not None and self.duration_s is not None and self.ttl_s < self.duration_s:
            raise ValueError("ttl must not be shorter than duration")
        return self


class Reports(YamlModel):
    """Signals besides the SLI alerts: customers' support tickets about the failing or
    slow requests the load really saw, and a synthetic check of the storefront page."""

    customer_tickets: bool = False
    storefront_check: bool = False
    # How long after the first bad request a customer's ticket arrives (drill seconds).
    ticket_delay_s: Duration = Field(default=8.0, validation_alias="ticket_delay")


class Hint(YamlModel):
    """A hint the facilitator console offers `after` the first fault (taking one costs points)."""

    after_s: Duration = Field(validation_alias="after")
    text: str = Field(min_length=1)


class Scenario(YamlModel):
    """One drill. `time_scale` > 1 compresses the playbook's targets (10: an hour in 6 min)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    title: str = Field(min_length=1)
    briefing: str = Field(min_length=1)
    difficulty: Literal["intro", "standard", "hard"] = "standard"
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]] = Field(default_factory=list)
    target: Target = Field(default_factory=Target)
    load: Load = Field(default_factory=Load)
    steady_state: SteadyState = Field(default_factory=SteadyState)
    time_scale: float = Field(default=1.0, gt=0)
    faults: list[Fault] = Field(min_length=1)
    expected: Expectations
    hints: list[Hint] = Field(default_factory=list)
    reports: Reports = Field(default_factory=Reports)
    # None in YAML means "the playbook's confirm_recovery"; the loader fills it in.
    confirm_recovery_s: PositiveDuration = Field(
        default=None,
        validate_default=True,
        json_schema_extra={"default": None, "description": "default: the playbook's"},
    )
    time_limit_s: PositiveDuration = 600.0

    _source: str | None = PrivateAttr(default=None)

    @field_validator("confirm_recovery_s", mode="before")
    @classmethod
    def _playbook_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return (info.context or {}).get("confirm_recovery_s", DEFAULT_CONFIRM_RECOVERY_S)
        return value

    @property
    def source(self) -> str | None:
        """The file this scenario was loaded from, if any."""
        return self._source

    def ttl_s_of(self, fault: Fault) -> float:
        """The TTL the engine gives `fault`: its own, else the time limit plus a margin."""
        return fault.ttl_s or self.time_limit_s + DRILL_TTL_MARGIN_S

    @property
    def first_fault_s(self) -> float:
        """Seconds after steady state at which the first fault is injected (T0)."""
        return min(fault.at_s for fault in self.faults)
