"""The sample shop service that chaosdrill breaks and trainees fix.

It imports nothing from `simulator/` or `scoring/`: the engine talks to it only
the way an operator would (process, HTTP API, database, logs and metrics).
"""

DEFAULT_VERSION = "1.0.0"
