"""The data-incident steps and the rogue batch job, witnessed from outside.

Plain HTTP on the shop and plain psycopg on the cluster's serving port (read from
state.json) see: `writes.stop` make every write a 503 with a clear body while reads
go on, for a bounded time; `backup.list` and `data.verify` report what is really
there; a `data.rogue_job` destroy more orders while nobody acts, nothing more after
`job.stop`, a restore under a running job damaged again, and the restore after
`job.stop` bring every destroyed order back as it was, losing exactly the orders
acknowledged after its target (those the job deleted itself included): the RPO.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from simulator.env.lifecycle import OWN_CLUSTER
from simulator.faults.errors import FaultError
from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from tests.integration.faults_env import TOKEN_HEADER, eventually, start_env, stop_env
from tests.integration.test_pitr import orders, place, serving_port, shop_url

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    state_dir = tmp_path_factory.mktemp("rogue")
    start_env(state_dir, database_url=OWN_CLUSTER)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)


def chaos_state(state_dir: Path) -> dict[str, object]:
    state = json.loads((state_dir / "state.json").read_text())
    found: dict[str, object] = httpx.get(
        f"{shop_url(state_dir)}/chaos", headers={TOKEN_HEADER: state["chaos_token"]}, timeout=5
    ).json()
    return found


def test_writes_stop_backup_list_and_verify(env_dir: Path) -> None:
    url = shop_url(env_dir)
    first = place(url, 3)[0]

    stopped = apply(env_dir, "writes.stop")
    assert "503" in stopped.detail
    body = {"customer_id": 1, "items": [{"product_id": 1, "quantity": 1}]}
    refused = httpx.post(f"{url}/orders", json=body, timeout=5)
    assert refused.status_code == 503
    assert "writes are stopped" in refused.json()["detail"]
    assert refused.headers["retry-after"]
    assert httpx.post(f"{url}/orders/{first}/pay", timeout=5).status_code == 503
    assert httpx.get(f"{url}/orders/{first}", timeout=5).status_code == 200, "reads go on"
    assert httpx.get(f"{url}/products", timeout=5).status_code == 200
    ttl = chaos_state(env_dir)["flags_ttl_left_s"]
    assert isinstance(ttl, dict) and 0 < ttl["writes_enabled"] <= 1800, "a bounded stop"

    apply(env_dir, "writes.resume")
    assert httpx.post(f"{url}/orders", json=body, timeout=5).status_code == 201

    listing = apply(env_dir, "backup.list")
    assert listing.measured["base_backups"], listing.detail
    assert "db.restore can reach any time from" in listing.detail

    verified = apply(env_dir, "data.verify")
    report = verified.measured["integrity"]
    assert report["passed"], report
    assert report["counts"]["orders"] == len(orders(env_dir))
    assert len(report["orders_md5"]) == 32


def test_rogue_job_grows_until_stopped_and_restore_after_it(env_dir: Path) -> None:
    url = shop_url(env_dir)
    place(url, 40, pay_every=4)
    witness = orders(env_dir)
    target = datetime.now(UTC)  # before the job: what a restore must go back to
    time.sleep(0.5)
    manager = FaultManager(env_dir)
    entry = manager.inject("data.rogue_job", {"every_s": 0.5, "delete": 2, "corrupt": 2}, ttl_s=120)

    def damaged() -> int:
        now = orders(env_dir)
        return sum(1 for i, row in witness.items() if now.get(i) != row)

    assert eventually(lambda: damaged() >= 4, timeout_s=30)
    early = damaged()
    assert eventually(lambda: damaged() > early + 4, timeout_s=30), "damage grows unattended"

    # A restore under the running job: the job damages the restored database too.
    port = serving_port(env_dir)
    with pytest.raises(FaultError, match="still running"):
        apply(env_dir, "db.restore", target.isoformat())
    assert serving_port(env_dir) != port
    assert eventually(lambda: damaged() > 0, timeout_s=30), "damaged again after the restore"
    late = place(url, 3)  # acknowledged after the target: the job or the restore loses them
    assert [e.id for e in manager.active()] == [entry.id]

    stopped = apply(env_dir, "job.stop", "order-archiver")
    assert stopped.measured["deleted_orders"] > 0, stopped.detail
    assert not stopped.ended, "stopping the job brings no row back"
    still = damaged()
    time.sleep(2.0)  # four rounds' worth of time
    assert damaged() == still > 0, "no more damage after job.stop"

    verify = apply(env_dir, "data.verify").measured["integrity"]
    assert not verify["passed"] and verify["missing_orders"] > 0

    restored = apply(env_dir, "db.restore", target.isoformat())
    now = orders(env_dir)
    assert {i: now.get(i) for i in witness} == witness, "every order back as it was"
    assert [e.id for e in restored.ended] == [entry.id]
    assert set(late).isdisjoint(now)
    assert restored.measured["lost_orders"] == len(late), "the RPO counts every one of them"
    assert apply(env_dir, "data.verify").measured["integrity"]["passed"]
