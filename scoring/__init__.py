"""Pure scoring over a drill event log: scorecards, reports, history."""
