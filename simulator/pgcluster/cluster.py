"""The drill's own cluster: made with initdb, configured for WAL archiving, started and
stopped with pg_ctl, removed with its directories.

Everything lives under the state directory's `pg/`. As root the server runs as the
`postgres` user, who cannot enter a private temporary directory (pytest's, for one),
so then `pg/` is a link to a directory of its own under the system's temp directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.pgcluster.binaries import ClusterError, find_bindir, give_to, run, server_user
from simulator.pgcluster.record import DATABASE, ROLE, PgCluster, PgNode

if TYPE_CHECKING:
    import psycopg

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0

# Appended to postgresql.conf: loopback only, WAL kept for point-in-time restore,
# every data-changing statement in the log (the audit trail a responder reads).
SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 60
shared_buffers = 32MB
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
max_wal_senders = 5
wal_keep_size = '64MB'
hot_standby = on
fsync = off
log_statement = 'mod'
log_line_prefix = '%m [%p] app=%a %u@%d xid=%x '
log_min_messages = warning
log_checkpoints = off
"""


def _quoted_ok(path: Path) -> Path:
    if "'" in str(path):
        raise ClusterError(f"the cluster's directory {path} must not contain a quote")
    return path


def create(state_dir: Path, port: int) -> PgCluster:
    """initdb a new cluster for the drill in `state_dir` (not started)."""
    bindir = find_bindir()
    user = server_user()
    link = state_dir / "pg"
    if user is None:
        root, linked = link, None
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="chaosdrill-pg-"))
        link.unlink(missing_ok=True)
        link.symlink_to(root, target_is_directory=True)
        linked = str(link)
    cluster = PgCluster(
        root=str(root),
        link=linked,
        bindir=str(bindir),
        user=user,
        archive_dir=str(_quoted_ok(root / "wal-archive")),
    )
    for sub in ("wal-archive", "nodes", "backups", "logs"):
        (root / sub).mkdir(exist_ok=True)
    give_to(root, user)
    node = PgNode(
        name="primary",
        data_dir=str(_quoted_ok(root / "nodes" / "primary")),
        port=port,
        log=str(root / "logs" / "primary.log"),
    )
    run(
        user,
        [
            str(bindir / "initdb"),
            "-D",
            node.data_dir,
            "-U",
            ROLE,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
        ],
    )
    configure(cluster, node)
    cluster.nodes[node.name] = node
    return cluster


def configure(cluster: PgCluster, node: PgNode) -> None:
    """Our settings, after whatever the data directory carries (later lines win)."""
    conf = Path(node.data_dir) / "postgresql.conf"
    text = SETTINGS.format(port=node.port, archive=cluster.archive_dir)
    with conf.open("a") as handle:
        handle.write(text)
    give_to(conf, cluster.user)


def start(cluster: PgCluster, node: PgNode) -> None:
    """pg_ctl start and wait until it takes connections; records the postmaster's pid."""
    run(
        cluster.user,
        [
            str(Path(cluster.bindir) / "pg_ctl"),
            "-D",
            node.data_dir,
            "-l",
            node.log,
            "-w",
            "-t",
            str(int(START_TIMEOUT_S)),
            "start",
        ],
        timeout_s=START_TIMEOUT_S + 10,
    )
    node.pid = postmaster_pid(node) or 0
    if not node.pid:
        raise ClusterError(f"PostgreSQL {node.name} did not start; see {node.log}")


def postmaster_pid(node: PgNode) -> int | None:
    """The pid in postmaster.pid when that process runs the server on this directory."""
    try:
        pid = int((Path(node.data_dir) / "postmaster.pid").read_text().split("\n", 1)[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"postgres" in cmdline else None


def is_running(node: PgNode) -> bool:
    return node.pid > 0 and postmaster_pid(node) == node.pid


def stop(cluster: PgCluster, node: PgNode, mode: str = "fast") -> bool:
    """Stop the node if it runs (fast shutdown, then SIGKILL); True if it was running."""
    pid = postmaster_pid(node)
    if pid is None:
        node.pid = 0
        return False
    try:
        run(
            cluster.user,
            [
                str(Path(cluster.bindir) / "pg_ctl"),
                "-D",
                node.data_dir,
                "-m",
                mode,
                "-w",
                "-t",
                str(int(STOP_TIMEOUT_S)),
                "stop",
            ],
            timeout_s=STOP_TIMEOUT_S + 10,
        )
    except ClusterError:
        _kill(pid)
    node.pid = 0
    return True


def _kill(pid: int) -> None:
    """SIGQUIT (a postmaster's immediate shutdown), then SIGKILL."""
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if _gone(pid):
                return
            time.sleep(0.1)


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def stop_all(cluster: PgCluster) -> list[str]:
    """Stop every node that still runs; returns their names."""
    return [name for name, node in cluster.nodes.items() if stop(cluster, node)]


def destroy(cluster: PgCluster) -> None:
    """Stop everything and remove every file of the cluster (data, archive, backups).

    A server the record does not know yet (a restore killed between starting it and
    recording it) is found by its data directory's postmaster.pid."""
    stop_all(cluster)
    known = {n.data_dir for n in cluster.nodes.values()}
    nodes = Path(cluster.root) / "nodes"
    for data in sorted(nodes.iterdir()) if nodes.is_dir() else []:
        if str(data) not in known:
            stray = PgNode(name=data.name, data_dir=str(data), port=0, log="")
            stop(cluster, stray)
    # A tool the engine ran on the cluster's files (`cp -a` of a restore, pg_basebackup)
    # outlives an engine killed with SIGKILL and would keep writing into the tree
    # being removed: stop it first. Its command line names the cluster's own directory.
    for pid in tools_in(cluster.root):
        _kill(pid)
    for _ in range(3):  # a file a dying tool wrote meanwhile: remove again
        shutil.rmtree(cluster.root, ignore_errors=True)
        if not Path(cluster.root).exists():
            break
    if cluster.link:
        Path(cluster.link).unlink(missing_ok=True)


def tools_in(root: str) -> list[int]:
    """The processes other than servers whose command line names `root` (a unique
    temporary directory of the drill's: no other process names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(root.encode() in arg for arg in argv) and not argv[0].endswith(b"/postgres"):
            found.append(int(entry.name))
    return found


def connect(node: PgNode, dbname: str = DATABASE) -> psycopg.Connection[tuple[Any, ...]]:
    dsn = (
        node.dsn
        if dbname == DATABASE
        else node.dsn.replace(f"dbname={DATABASE}", f"dbname={dbname}")
    )
    import psycopg  # the driver loads only where a cluster is reached

    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        raise ClusterError(
            f"cannot reach PostgreSQL {node.name} on port {node.port}: {exc}"
        ) from None


def create_database(node: PgNode) -> None:
    with connect(node, "postgres") as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            return
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
