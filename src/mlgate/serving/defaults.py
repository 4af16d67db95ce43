"""The serving check's defaults, in one place that imports nothing.

The command line (whose --help must start fast), mlgate.yaml's ``serving:`` stage and
the probe itself all take their defaults from here.
"""

TIMEOUT_S = 30.0
LATENCY_P95_MS = 200.0
MIN_THROUGHPUT = 20.0
WORKERS = 2
MAX_ROWS = 10_000
TIMING_REQUESTS = 200
