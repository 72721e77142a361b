"""Exported rules under `promtool test rules`, and the prometheus detector against
the real shop: Debian's Prometheus scrapes it, Alertmanager delivers to the
webhook, faults come through the shop's chaos endpoints.

Time limits bound the tests; they do not measure detection latency
(bench/detection_compare.py does).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from scoring.playbook import load_playbook
from simulator.cli.main import cli
from simulator.detection import AlertFiring, AlertResolved, DetectorOutput, SliSample
from simulator.prometheus import RULES_FILE, TEST_FILE, PrometheusError, promtool_test, write_rules
from simulator.prometheus.config import alertmanager_config, write_yaml
from simulator.prometheus.detector import PrometheusDetector
from simulator.prometheus.remote import RemotePrometheusDetector
from simulator.prometheus.select import detector_factory
from simulator.prometheus.servers import find_binary
from tests.conftest import RunningShop

pytestmark = [pytest.mark.prometheus, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def prometheus_binaries() -> None:
    """Selected `prometheus` tests FAIL without the binaries (CI installs them)."""
    try:
        for kind in ("prometheus", "alertmanager", "promtool"):
            find_binary(kind)
    except PrometheusError as exc:
        pytest.fail(f"{exc} (or run `bash .ci/system-setup`)")


def test_promtool_passes_on_the_exported_rules(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rules", "export", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 0, result.output
    assert "SUCCESS" in result.output
    # Other thresholds and a production-sized window: the tests follow them.
    playbook = tmp_path / "playbook.yaml"
    text = (REPO / "playbook.yaml").read_text()
    playbook.write_text(text.replace("    medium: 2%\n", "    medium: 1%\n"))
    other = tmp_path / "other"
    result = CliRunner().invoke(
        cli,
        ["rules", "export", "--out", str(other), "--playbook", str(playbook), "--window", "1m"],
    )
    assert result.exit_code == 0, result.output
    assert "SUCCESS" in promtool_test(other / TEST_FILE)


@pytest.mark.parametrize(
    ("find", "replace"),
    [
        ("> 0.05", "> 0.08"),  # a threshold that is not the playbook's
        ("keep_firing_for: 5s", "keep_firing_for: 1s"),  # resolves sooner than the builtin
        ("/healthz|", ""),  # health checks counted as user traffic
        # The security rules: a canary needs two uses, the partner may export 4x more.
        ("canary_token_used_total[10s])) > 0", "canary_token_used_total[10s])) > 1"),
        ('key_id="partner-acme"}[10s])) / 121', 'key_id="partner-acme"}[10s])) / 484'),
    ],
)
def test_promtool_tests_catch_rules_that_drift(tmp_path: Path, find: str, replace: str) -> None:
    rules, tests = write_rules(load_playbook(), tmp_path)
    text = rules.read_text()
    assert find in text
    rules.write_text(text.replace(find, replace))
    with pytest.raises(PrometheusError, match="FAILED"):
        promtool_test(tests)


def test_rules_prometheus_refuses_are_one_sentence_before_anything_starts(tmp_path: Path) -> None:
    bad = tmp_path / "team.yml"
    bad.write_text("groups:\n  - name: team\n    rules:\n      - alert: x\n        expr: up ==\n")
    with pytest.raises(PrometheusError, match=r"team.yml: not a valid Prometheus rules file"):
        detector_factory("prometheus", rules_file=bad)
    with pytest.raises(PrometheusError, match="no such file"):
        detector_factory("prometheus", rules_file=tmp_path / "missing.yml")
    # Launched directly (no promtool check first): Prometheus exits, nothing stays.
    detector = PrometheusDetector("http://127.0.0.1:1", load_playbook(), rules_file=bad)
    with pytest.raises(PrometheusError, match="prometheus did not start"):
        detector.launch()
    assert detector.stack is None and not detector.launched


async def traffic(url: str, stop: asyncio.Event, max_s: float = 90.0) -> None:
    """About 60 catalog requests a second, bounded in count and time."""
    deadline = time.monotonic() + max_s
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=url, timeout=3.0, trust_env=False) as client:
        for _ in range(int(max_s * 60)):
            if stop.is_set() or time.monotonic() > deadline:
                return
            with contextlib.suppress(httpx.HTTPError):
                await client.get(f"/products/{rng.randint(1, 200)}")
            await asyncio.sleep(1 / 60)


async def until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.1)
    return False


def test_error_surge_fires_through_alertmanager_and_resolves(shop: RunningShop) -> None:
    managed_out: list[DetectorOutput] = []
    remote_out: list[DetectorOutput] = []

    def alerts(
        out: list[DetectorOutput], kind: type[AlertFiring] | type[AlertResolved]
    ) -> dict[tuple[str, str], str]:
        return {
            (o.name, o.severity): o.alert_id
            for o in out
            if isinstance(o, (AlertFiring, AlertResolved)) and isinstance(o, kind)
        }

    async def main() -> tuple[list[int], Path]:
        playbook = load_playbook()
        managed = PrometheusDetector(shop.url, playbook)
        managed.add_listener(managed_out.append)
        managed.launch()
        assert managed.stack is not None and managed.workdir is not None
        pids = [managed.stack.prometheus.pid, managed.stack.alertmanager.pid]
        workdir = managed.workdir
        # --prometheus-url: the same alerts read from a running Prometheus's API.
        remote = RemotePrometheusDetector(
            shop.url, playbook, prometheus_url=managed.stack.prometheus.url
        )
        remote.add_listener(remote_out.append)
        remote.launch()
        stop = asyncio.Event()
        load = asyncio.create_task(traffic(shop.url, stop))
        managed.start()
        remote.start()
        try:
            await asyncio.sleep(6)  # a few scrapes of healthy traffic
            assert alerts(managed_out, AlertFiring) == {}
            with shop.chaos() as chaos:
                chaos.put("/chaos/errors", json={"fraction": 0.3, "ttl_s": 60}).raise_for_status()
                # 30 % errors breach every severity; the others are inhibited.
                fired = await until(lambda: ("error_rate", "critical") in managed.firing, 30)
                assert fired, f"no error_rate/critical from Alertmanager: {managed_out[-3:]}"
                assert await until(lambda: ("error_rate", "critical") in remote.firing, 15)
                chaos.delete("/chaos/errors").raise_for_status()
            assert await until(lambda: not managed.firing, 40), managed.firing
            assert await until(lambda: not remote.firing, 15), remote.firing
        finally:
            stop.set()
            await load
            await remote.stop()
            await managed.stop()
        return pids, workdir

    pids, workdir = asyncio.run(main())
    for out in (managed_out, remote_out):
        fired, resolved = alerts(out, AlertFiring), alerts(out, AlertResolved)
        assert ("error_rate", "critical") in fired
        assert resolved == fired  # every alert resolved, each with its own alert_id
        assert {key[0] for key in fired} == {"error_rate"}
        shown: set[str] = set()
        changes = [o for o in out if isinstance(o, AlertFiring | AlertResolved)]
        for n, o in enumerate(changes):  # one error_rate alert at a time, whatever the order
            if isinstance(o, AlertFiring):
                shown.add(o.alert_id)
            elif isinstance(o, AlertResolved):
                shown.discard(o.alert_id)
            if len(shown) > 1:
                # A higher severity is shown first, then the lower one it inhibits is
                # resolved at once: the SLI is never without an alert.
                following = changes[n + 1] if n + 1 < len(changes) else None
                assert isinstance(following, AlertResolved), out
                assert following.alert_id in shown, out
            assert len(shown) <= 2, out
        assert sum(isinstance(o, SliSample) for o in out) >= 10  # recovery is measured on these
    firing = next(o for o in managed_out if isinstance(o, AlertFiring))
    assert firing.value > firing.threshold  # from the rule's annotations
    assert not workdir.exists()
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
            assert state == "Z", f"pid {pid} still running"


def test_amtool_accepts_the_alertmanager_config_with_its_inhibit_rules(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "alertmanager.yml", alertmanager_config("http://127.0.0.1:9/am"))
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.fail("amtool is missing: install Debian's prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "check-config", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 inhibit rules" in result.stdout


def test_exported_file_loads_as_team_rules(tmp_path: Path) -> None:
    rules, _ = write_rules(load_playbook(), tmp_path)
    assert detector_factory("prometheus", rules_file=rules) is not None
    assert yaml.safe_load(rules.read_text())["groups"][0]["rules"]
    assert rules.name == RULES_FILE
