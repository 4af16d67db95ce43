from mlgate.findings import Finding, Report, Status, apply_severity


def _f(name: str, status: Status) -> Finding:
    return Finding(name, status, "m", column="c")


def test_report_passes_with_warnings_and_fails_on_fail_or_error():
    assert Report((_f("a.b", Status.PASS), _f("a.c", Status.WARN))).passed
    assert not Report((_f("a.b", Status.FAIL),)).passed
    assert not Report((_f("a.b", Status.ERROR),)).passed


def test_worst_first_puts_failures_before_warnings_and_keeps_order():
    r = Report(
        (_f("p", Status.PASS), _f("w", Status.WARN), _f("f1", Status.FAIL), _f("f2", Status.FAIL))
    )
    assert [f.name for f in r.worst_first()] == ["f1", "f2", "w", "p"]


def test_severity_override_by_code_and_by_prefix():
    findings = [
        _f("drift.numeric", Status.FAIL),
        _f("schema.new_column", Status.WARN),
        _f("quality.null_fraction", Status.FAIL),
    ]
    out = apply_severity(
        findings, {"drift": "warn", "schema.new_column": "fail", "quality.null_fraction": "ignore"}
    )
    assert [(f.name, f.status) for f in out] == [
        ("drift.numeric", Status.WARN),
        ("schema.new_column", Status.FAIL),
    ]


def test_severity_override_never_turns_a_pass_into_a_failure():
    out = apply_severity([_f("drift.numeric", Status.PASS)], {"drift.numeric": "fail"})
    assert out[0].status is Status.PASS


def test_json_contract_shape():
    d = Report((_f("schema.missing_column", Status.FAIL),)).to_dict("1.2.3")
    assert d == {
        "mlgate": "1.2.3",
        "passed": False,
        "run": None,
        "checks": [
            {
                "name": "schema.missing_column",
                "status": "fail",
                "column": "c",
                "stage": None,
                "message": "m",
                "details": {},
            }
        ],
    }


def test_json_contract_carries_what_the_run_judged():
    run = {"mlgate": "1.2.3", "started": "2026-01-01T00:00:00Z", "duration_s": 1.5}
    d = Report((_f("a.b", Status.PASS),), run=run).to_dict("1.2.3")
    assert list(d) == ["mlgate", "passed", "run", "checks"]
    assert d["run"] == run and d["run"] is not run  # a copy: the report stays as it was
