import polars as pl
import pytest

from mlgate.data.profile import profile_frame
from mlgate.data.schema import dump_schema, infer_schema, load_schema, save_schema
from mlgate.errors import ConfigError
from tests.conftest import make_table


def test_infer_gives_types_ranges_domains_and_drift_metrics():
    s = infer_schema(profile_frame(make_table()))
    x, code, city, flag = (s.columns[c] for c in ("x", "code", "city", "flag"))
    assert (x.type, code.type, city.type, flag.type) == ("float", "integer", "string", "boolean")
    assert x.range is not None and x.range.min < 0 < x.range.max and x.domain is None
    assert code.domain == [0, 1, 2, 3, 4] and city.domain == ["Lisbon", "Oslo", "Quito"]
    assert flag.domain == [False, True]
    assert x.drift is not None and x.drift.metric == "wasserstein"
    # Integer codes with few values compare as categories, not as a continuous number.
    assert code.drift is not None and code.drift.metric == "jensen_shannon"


def test_identifier_like_strings_get_no_domain_and_no_drift():
    df = pl.DataFrame({"id": [f"user-{i}" for i in range(500)]})
    col = infer_schema(profile_frame(df)).columns["id"]
    assert col.domain is None and col.drift is None


def test_tolerances_shrink_as_the_reference_grows():
    small = infer_schema(profile_frame(make_table(100))).columns["x"]
    large = infer_schema(profile_frame(make_table(100_000))).columns["x"]
    assert small.max_out_of_range_fraction > large.max_out_of_range_fraction >= 0.01


def test_dump_and_load_round_trip(tmp_path):
    s = infer_schema(profile_frame(make_table()))
    path = tmp_path / "schema.yaml"
    save_schema(s, path)
    assert load_schema(path) == s
    assert dump_schema(load_schema(path)) == path.read_text()


def _schema_text() -> str:
    return dump_schema(infer_schema(profile_frame(make_table(500))))


def test_unknown_key_is_reported_with_file_line_and_key(tmp_path):
    text = _schema_text().replace("    max_null_fraction", "    max_nul_fraction", 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "max_nul_fraction" in t)
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_schema(path)
    msg = str(err.value)
    assert msg.startswith(
        f"{path}:{line}: columns.x.max_nul_fraction: unknown key; did you mean 'max_null_fraction'?"
    )


def test_bad_value_names_the_key(tmp_path):
    text = _schema_text().replace("max_null_fraction: 0.", "max_null_fraction: 3.", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"s\.yaml:\d+: columns\.x\.max_null_fraction: "):
        load_schema(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\ncolumns:\n  x: {type: float\n  y: 2\n")
    with pytest.raises(ConfigError, match=r"s\.yaml:\d+: not valid YAML"):
        load_schema(path)


def test_range_with_min_above_max_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("columns:\n  x:\n    type: float\n    range: {min: 5, max: 1}\n")
    with pytest.raises(ConfigError, match=r"s\.yaml:4: columns\.x\.range: .*greater than max"):
        load_schema(path)


def test_domain_tolerance_follows_the_share_of_rare_values():
    common = pl.DataFrame({"c": ["a", "b", "c"] * 100})
    rare = pl.DataFrame({"c": ["a", "b", "c"] * 90 + [f"r{i}" for i in range(20)] + ["a"] * 10})
    tight = infer_schema(profile_frame(common)).columns["c"]
    loose = infer_schema(profile_frame(rare)).columns["c"]
    assert tight.max_out_of_domain_fraction == 0.01
    # Good-Turing: 20 singletons in 300 values -> about 7% unseen mass, tripled.
    assert loose.domain is not None
    assert loose.max_out_of_domain_fraction == pytest.approx(3 * 21 / 300, abs=1e-4)


def test_a_column_or_key_given_twice_is_refused_at_its_second_line(tmp_path):
    # YAML keeps the last of two equal keys: a column listed twice (a bad merge) lost
    # its first entry's checks without a word, as did a key written twice.
    text = _schema_text()
    block = text[text.index("  x:\n") : text.index("\n  ", text.index("  x:\n") + 5) + 1]
    twice = text + block.replace("    required: true\n", "    required: false\n")
    twice = twice.replace("    type: float\n", "    type: float\n    type: integer\n", 1)
    path = tmp_path / "schema.yaml"
    path.write_text(twice)
    lines = twice.splitlines()
    first_x = lines.index("  x:") + 1
    second_x = len(lines) - lines[::-1].index("  x:")
    type_line = lines.index("    type: integer") + 1
    with pytest.raises(ConfigError) as err:
        load_schema(path)
    assert str(err.value).splitlines() == [
        f"{path}:{type_line}: columns.x.type: given twice (first at line {type_line - 1}), "
        "and the second would replace the first; keep one",
        f"{path}:{second_x}: columns.x: given twice (first at line {first_x}), and the "
        "second would replace the first; keep one",
    ]
