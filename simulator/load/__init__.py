"""Real load on the target: Locust in its own process(es), figures back over a pipe.

Import the API from `simulator.load.runner`; it never imports Locust itself
(Locust monkey-patches the process with gevent). Only `locustfile.py` does, and
it runs in the Locust subprocess.
"""
