"""A team's own alerting, drilled end to end: real fault -> the team's Prometheus rules
-> the team's Alertmanager routes -> the team's receivers (on local capture sinks).

- `amconfig`: `amtool check-config`, the rewrite of every receiver to a sink on
  127.0.0.1, and the check that nothing dials elsewhere.
- `protocols`, `sinks`, `smtp`: the sinks answer as webhook (v4), Slack incoming
  webhooks, PagerDuty Events v2, Opsgenie Alert API v2 and SMTP would.
- `observer`: the team's Alertmanager for one drill, beside the engine's, and what
  it held (routing, inhibition) and delivered.
- `routes`: the matched route of an alert, from `amtool config routes test --tree`.
- `deliveries`: the team's expectations (alert -> receiver within budget) as JUnit cases.
- `coverage`: rules that fired, never fired, fired as noise; receivers not reached.
- `check.TeamCheck`: what `chaosdrill verify --alertmanager-config` calls.
"""
