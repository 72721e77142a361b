"""Which notifiers a drill uses: from CLI flags or the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from simulator.notify.base import Notifier
from simulator.notify.pagerduty import DEFAULT_URL, PagerDutyEvents
from simulator.notify.slack import SlackWebhook

__all__ = ["NotifyConfig", "notifiers_from", "notify_options"]


@dataclass(frozen=True)
class NotifyConfig:
    slack_webhook_url: str | None = None
    pagerduty_routing_key: str | None = None
    pagerduty_url: str = DEFAULT_URL


def notifiers_from(config: NotifyConfig) -> list[Notifier]:
    """The configured channels (none by default: the console page always shows pages)."""
    found: list[Notifier] = []
    if config.slack_webhook_url:
        found.append(SlackWebhook(config.slack_webhook_url))
    if config.pagerduty_routing_key:
        found.append(PagerDutyEvents(config.pagerduty_routing_key, config.pagerduty_url))
    return found


def notify_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--slack-webhook-url, --pagerduty-routing-key, --pagerduty-url (each also from env)."""
    options = [
        click.option(
            "--slack-webhook-url",
            envvar="CHAOSDRILL_SLACK_WEBHOOK_URL",
            show_envvar=True,
            help="Post pages and incident updates to this Slack-compatible incoming webhook.",
        ),
        click.option(
            "--pagerduty-routing-key",
            envvar="CHAOSDRILL_PAGERDUTY_ROUTING_KEY",
            show_envvar=True,
            help="Trigger, acknowledge and resolve a PagerDuty incident (Events API v2).",
        ),
        click.option(
            "--pagerduty-url",
            envvar="CHAOSDRILL_PAGERDUTY_URL",
            show_envvar=True,
            default=DEFAULT_URL,
            show_default=True,
            help="The Events API v2 endpoint.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func
