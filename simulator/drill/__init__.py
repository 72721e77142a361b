"""The drill engine: one `Drill` owns the event log, environment, load,
detector, incident and responders for one run of a scenario."""
