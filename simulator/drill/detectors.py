"""Detectors the engine can use: the builtin one by default, or another (Prometheus +
Alertmanager) through `DrillOptions.detector_factory`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from scoring.playbook import Playbook
from simulator.detection import BuiltinDetector
from simulator.detection.detector import DetectorOutput
from simulator.detection.security import SecurityWindow, alert_rules

__all__ = ["DetectorFactory", "DetectorLike", "builtin_detector"]


class DetectorLike(Protocol):
    """What the engine needs of a detector (builtin, or Prometheus + Alertmanager)."""

    def add_listener(self, listener: Callable[[DetectorOutput], None]) -> None: ...
    def start(self) -> asyncio.Task[None]: ...
    async def stop(self) -> None: ...


DetectorFactory = Callable[[str, Playbook, Callable[[], float]], DetectorLike]


def builtin_detector(shop_url: str, playbook: Playbook, clock: Callable[[], float]) -> DetectorLike:
    return BuiltinDetector(
        shop_url,
        alert_rules(playbook),
        clock=clock,
        id_prefix="A",
        security=SecurityWindow(playbook.security_alerts),
    )
