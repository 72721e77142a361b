"""Outbound notifications of a drill: Slack-compatible webhooks and PagerDuty Events v2.

A `Dispatcher` subscribes to the drill's event log, turns the events a
responder would be told about into `Notification`s (never a fault or the answer
key: people in the drill read these channels) and delivers them from its own
thread, so a slow or failing notifier never stops or slows a drill.
"""

from simulator.notify.base import Dispatcher, Notification, Notifier, notifications_for
from simulator.notify.config import NotifyConfig, notifiers_from
from simulator.notify.pagerduty import PagerDutyEvents
from simulator.notify.slack import SlackWebhook

__all__ = [
    "Dispatcher",
    "Notification",
    "Notifier",
    "NotifyConfig",
    "PagerDutyEvents",
    "SlackWebhook",
    "notifications_for",
    "notifiers_from",
]
