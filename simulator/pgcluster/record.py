"""What the environment's record keeps about the drill's own PostgreSQL cluster.

Only pydantic here: `simulator.env.state` embeds these models, and the cluster code
(`simulator.pgcluster.cluster`, `.backup`, `.restore`) reads and updates them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

DATABASE = "chaosdrill"
ROLE = "chaosdrill"


class PgNode(BaseModel):
    """One server of the cluster: a data directory, a port, a postmaster pid."""

    name: str
    data_dir: str
    port: int
    pid: int = 0  # 0: not running (stopped, or never started)
    role: str = "primary"  # primary | restored | damaged
    log: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def dsn(self) -> str:
        """The same server for psycopg, libpq's plain form."""
        return f"host=127.0.0.1 port={self.port} user={ROLE} dbname={DATABASE} connect_timeout=3"


class BaseBackup(BaseModel):
    """A `pg_basebackup` of the primary: a plain copy that a restore starts from."""

    path: str
    started_at: float  # wall clock
    finished_at: float  # the earliest instant a restore from it can reach
    start_lsn: str
    end_lsn: str
    seconds: float
    bytes: int


class Damage(BaseModel):
    """Rows a data fault destroyed on this cluster, so a restore can say whether it
    brought them back (the cluster's own history, not a fault's end)."""

    fault_id: str
    at: float  # wall clock just before the damaging transaction began
    table: str
    ids: list[int]


class BatchJob(BaseModel):
    """A batch job the drill started against the cluster (data.rogue_job): the process,
    and the file where it lists, round by round, the rows it deleted and corrupted."""

    application: str  # its application_name: what pg_stat_activity and the log show
    fault_id: str
    pid: int
    argv: list[str]
    log: str
    damage_file: str
    started_at: float
    # The newest order when it started: rows after it did not exist at the job's start,
    # so no restore to before the job can bring them back (they are the restore's RPO).
    last_id_before: int = 0
    stopped_at: float | None = None


class PgCluster(BaseModel):
    """The cluster: where it lives, who runs it, its servers, archive and backups."""

    root: str  # everything lives here (the state dir's pg/, or a private dir it links to)
    link: str | None = None  # the state dir's pg symlink when root lives elsewhere
    bindir: str
    user: str | None = None  # the system user the servers run as (when we are root)
    archive_dir: str
    nodes: dict[str, PgNode] = Field(default_factory=dict)
    serving: str = "primary"  # the node the shop's database proxy points at
    backups: list[BaseBackup] = Field(default_factory=list)
    restores: int = 0
    damage: list[Damage] = Field(default_factory=list)
    jobs: dict[str, BatchJob] = Field(default_factory=dict)  # by application name
    # Acknowledged orders a restore or a promotion lost for good: id -> its customer
    # (the integrity report's affected customers, whom users.notify tells).
    lost_orders: dict[int, int] = Field(default_factory=dict)

    @property
    def primary(self) -> PgNode:
        return self.nodes[self.serving]
