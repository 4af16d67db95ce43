"""The serving check's defaults, in one place that imports nothing.

The command line (whose --help must start fast), mlgate.yaml's ``serving:`` stage and
the probe itself all take their defaults from here, and the data gate the name of the
request log's own column.
"""

TIMEOUT_S = 30.0
LATENCY_P95_MS = 200.0
MIN_THROUGHPUT = 20.0
WORKERS = 2
MAX_ROWS = 10_000
TIMING_REQUESTS = 200
#: The request log's key for what was served outside the schema, on the lines that had
#: any (``["body_mass_g: 9000 above the schema's maximum ..."]``). The data gate sets this
#: column aside, so a skew check on the log does not take it for a new feature.
LOG_NOTES_KEY = "_mlgate_warnings"
