"""The serving probe's findings from what the server answered, without a server."""

from __future__ import annotations

from mlgate.findings import Status
from mlgate.serving.probe_findings import _Row, _row_findings


def test_server_error_is_skipped_when_every_row_was_refused_before_the_model():
    refused = [_Row("rejected", errors=[{"field": "x", "error": "too big"}], status=400)] * 3
    rejected, server_error = _row_findings(refused)
    assert rejected.status is Status.WARN
    assert server_error.status is Status.SKIP
    assert server_error.message == (
        "not applicable: the server refused all 3 held-out rows with a 400, so none reached "
        "the model (see serving.rejected_rows)"
    )


def test_server_error_passes_when_the_accepted_rows_got_predictions():
    rows = [_Row("rejected", status=400), _Row("ok", prediction=1, status=200)]
    _, server_error = _row_findings(rows)
    assert server_error.status is Status.PASS
    assert server_error.message == "no server error on 1 accepted held-out rows"
