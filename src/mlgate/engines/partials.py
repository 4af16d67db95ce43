"""Partial profiles: what one part of a dataset sends, and how the parts are merged.

The Spark engine runs ``PartBuilder`` in every partition (inside ``mapInArrow``) and
``Gatherer`` on the driver; nothing here imports pyspark, so the same code is tested on
Polars frames cut into parts. A part is profiled by the one batch profiler
(``profile.profile_part``), so a part's profile is what the Polars engine makes of the
same rows, and ``DatasetProfile.merge`` joins them: exactly for counts, extrema and
moments (to rounding), and the distinct-count and row-hash sketches are the same
sketches, since their merges are exact.

What does not merge by itself is what the Polars engine counts exactly in its one pass:
duplicate rows and the repeated values of candidate keys (``rowset.RowHashSet``). So a
part also sends its distinct row hashes, and those of its candidate keys, as a
bottom-k set of at most ``send`` hashes (``send_cap``): the whole set while the part
holds fewer distinct rows, else its ``send`` smallest with the threshold below which it
holds all. The gatherer's union of the parts is then the set one pass would have kept:
exact while every part was within ``send`` and the whole within ``rowset.MAX_EXACT``,
otherwise a theta sketch of up to ``MAX_EXACT`` hashes whose count is reported as
estimated (about 1/sqrt(retained) relative error), as merged profiles already say.
``send`` is ``MAX_EXACT`` divided among the parts, so the driver receives at most about
``MAX_EXACT`` hashes (32 MB) per set, however many parts there are.

Payload: ``MAGIC``, the length of the header, the zlib-compressed JSON header (the
part's profile, its rows and its sets' layout), then each set as ``ThetaSketch`` bytes.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from mlgate.data.profile import (
    KEY_CANDIDATE_SHARE,
    MAX_KEY_COLUMNS,
    DatasetProfile,
    empty_profile,
    nearly_all_distinct,
    profile_part,
    value_hashes,
)
from mlgate.data.rowset import MAX_EXACT, RowHashSet
from mlgate.data.theta import ThetaSketch

MAGIC = b"MLGPART1"
_LENGTH = struct.Struct("<Q")
#: Hashes a part sends per set at the least, however many parts there are: as many as
#: the profile's own row-hash sketch keeps, so a gathered count is never coarser.
SEND_MIN = 4096
#: A part tracks the repeats of at most this many candidate keys (twice the Polars
#: engine's limit, so that a column that is no key in one part leaves room for the next).
PART_KEY_COLUMNS = 2 * MAX_KEY_COLUMNS


def send_cap(parts: int) -> int:
    """Hashes each of ``parts`` parts sends per set: ``MAX_EXACT`` shared among them."""
    return max(SEND_MIN, MAX_EXACT // max(1, parts))


def part_key_candidates(df: pl.DataFrame) -> list[str]:
    """Columns of a part's first batch that may be keys: text or whole numbers that are
    nearly all distinct there, or that hold fewer than two values (a part too small to
    say; the gatherer judges the whole). At most ``PART_KEY_COLUMNS``."""
    out: list[str] = []
    for name, dtype in df.schema.items():
        if len(out) >= PART_KEY_COLUMNS:
            break
        if not (dtype.is_integer() or dtype == pl.String):
            continue
        values = df.get_column(name).drop_nulls()
        if values.len() < 2 or nearly_all_distinct(values):
            out.append(name)
    return out


class LateDates(ValueError):
    """A value of a column read as dates is no date: the dataset is to be read again
    with its text left as text, as the Polars engine reads it again (``io``)."""


def parse_dates(df: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """``df`` with the text columns ``names`` parsed as dates, as the Polars engine
    parses a batch's; raises ``LateDates`` where a value is no date."""
    if not names:
        return df
    try:
        return df.with_columns(df.get_column(n).str.to_datetime(strict=True) for n in names)
    except pl.exceptions.PolarsError:
        raise LateDates(f"a value of {', '.join(names)} is no date") from None


class PartBuilder:
    """One part's profile and hash sets, built batch by batch (Polars frames).

    ``dates`` are the text columns read as dates (``io.date_string_columns`` of the
    dataset's first rows); ``add`` raises ``LateDates`` when one holds a non-date.
    """

    def __init__(self, source: str, send: int, dates: list[str] | None = None) -> None:
        self._source = source
        self._send = send
        self._dates = dates or []
        self._profile: DatasetProfile | None = None
        self._rows = RowHashSet(cap=send)
        self._keys: dict[str, RowHashSet] | None = None

    def add(self, df: pl.DataFrame) -> None:
        df = parse_dates(df, self._dates)
        if self._keys is None:
            self._keys = {name: RowHashSet(cap=self._send) for name in part_key_candidates(df)}
        part, hashes = profile_part(df, self._source)
        self._rows.add(hashes)
        for name, values in self._keys.items():
            values.add(value_hashes(df.get_column(name)))
        self._profile = part if self._profile is None else self._profile.merge(part)

    @property
    def empty(self) -> bool:
        return self._profile is None

    def payload(self) -> bytes:
        """The part as bytes for the gatherer; raises ``ValueError`` on an empty part."""
        if self._profile is None:
            raise ValueError("an empty part has no payload")
        return encode(self._profile, self._rows, self._keys or {})


def encode(profile: DatasetProfile, rows: RowHashSet, keys: dict[str, RowHashSet]) -> bytes:
    blobs = [_set_bytes(rows)] + [_set_bytes(s) for s in keys.values()]
    header = {
        "profile": profile.to_dict(),
        "rows": rows.rows,
        "keys": [{"name": name, "rows": s.rows} for name, s in keys.items()],
        "lengths": [len(b) for b in blobs],
    }
    packed = zlib.compress(json.dumps(header, allow_nan=False).encode("utf-8"), 6)
    return b"".join([MAGIC, _LENGTH.pack(len(packed)), packed, *blobs])


def _set_bytes(s: RowHashSet) -> bytes:
    hashes, theta = s.state()
    return ThetaSketch(s.cap, hashes, theta).to_bytes()


def decode(data: bytes) -> tuple[DatasetProfile, tuple[ThetaSketch, int], dict[str, Any]]:
    """(profile, (row set, rows), {key: (set, values)}) of a payload.

    Raises ``ValueError`` for bytes that are no payload of this version.
    """
    if not data.startswith(MAGIC):
        raise ValueError("not an mlgate partial profile")
    at = len(MAGIC)
    (size,) = _LENGTH.unpack_from(data, at)
    at += _LENGTH.size
    header = json.loads(zlib.decompress(data[at : at + size]))
    at += size
    sets = []
    for length in header["lengths"]:
        sets.append(ThetaSketch.from_bytes(data[at : at + length]))
        at += length
    profile = DatasetProfile.from_dict(header["profile"], label="partial profile")
    keys = {k["name"]: (s, int(k["rows"])) for k, s in zip(header["keys"], sets[1:], strict=True)}
    return profile, (sets[0], int(header["rows"])), keys


class Gatherer:
    """Merges parts' payloads, in the order given, into one dataset's profile."""

    def __init__(self, source: str, cap: int = MAX_EXACT) -> None:
        self._source = source
        self._cap = cap
        self._profile: DatasetProfile | None = None
        self._rows = RowHashSet(cap=cap)
        #: Candidate keys every part so far sent, with their union.
        self._keys: dict[str, RowHashSet] | None = None

    def add(self, payload: bytes) -> None:
        profile, (rows, count), keys = decode(payload)
        self._rows.add_set(*_theta_state(rows), count)
        if self._keys is None:
            self._keys = {name: RowHashSet(cap=self._cap) for name in keys}
        for name in [n for n in self._keys if n not in keys]:
            del self._keys[name]  # not a key in this part: no exact count for it
        for name, union in self._keys.items():
            sketch, values = keys[name]
            union.add_set(*_theta_state(sketch), values)
        self._profile = profile if self._profile is None else self._profile.merge(profile)

    def add_all(self, payloads: Iterable[bytes]) -> Gatherer:
        for payload in payloads:
            self.add(payload)
        return self

    @property
    def empty(self) -> bool:
        return self._profile is None

    def payload(self) -> bytes:
        """The parts gathered so far as one part's payload (a level of a merge tree)."""
        if self._profile is None:
            raise ValueError("nothing gathered")
        return encode(self._profile, self._rows, self._keys or {})

    def result(self, zero: DatasetProfile | None = None) -> DatasetProfile:
        """The dataset's profile, with its duplicate count and its keys' repeats.

        ``zero`` (the profile of no rows, with the dataset's columns) is the result
        when no part had rows.
        """
        if self._profile is None:
            return replace(zero or empty_profile(), source=self._source)
        profile = replace(self._profile, source=self._source, duplicates=self._rows.duplicates())
        columns = []
        keys = self._keys or {}
        counted = 0
        for c in profile.columns:
            union = keys.get(c.name)
            repeats = None
            if union is not None and counted < MAX_KEY_COLUMNS:
                dups = union.duplicates()
                values = c.non_null
                # The Polars engine's rule, judged on the whole: two values or more,
                # nearly all distinct.
                if values >= 2 and values - dups.rows >= KEY_CANDIDATE_SHARE * values:
                    repeats = dups
                    counted += 1
            columns.append(replace(c, repeats=repeats))
        return replace(profile, columns=tuple(columns))


def _theta_state(sketch: ThetaSketch) -> tuple[np.ndarray, int]:
    return sketch.hashes, sketch.theta
