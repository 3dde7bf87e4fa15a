"""AuditContext: what a detector sees (validated tables, profile, reference date, store)."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from functools import cached_property
from typing import Any, Callable, Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.profile import Profile

__all__ = ["AuditContext", "isin", "rows", "sets_by"]


class _Positions:
    """value -> row positions (ascending) of a column, by one factorize and one stable sort; looked up
    through a hash index of the distinct values (no dict of a million entries built in Python)."""

    def __init__(self, codes: np.ndarray, uniques: Any):
        self.order = np.argsort(codes, kind="stable")
        self.cuts = np.searchsorted(codes[self.order], np.arange(len(uniques) + 1))
        self.keys = pd.Index(uniques)

    def get(self, key: object) -> np.ndarray | None:
        try:
            i = self.keys.get_loc(key)
        except (KeyError, TypeError):
            return None
        return self.order[self.cuts[i] : self.cuts[i + 1]]


def isin(s: pd.Series, values: Any) -> pd.Series:
    """``s.isin(values)`` at C speed for Arrow-backed strings too (pandas' own Arrow ``isin`` builds one Python
    scalar per value: seconds for a million). Blank cells are never in ``values``."""
    if not _arrow_strings(s.dtype):
        return s.isin(values)
    if _arrow_strings(getattr(values, "dtype", None)):  # Arrow strings already: no Python object per value
        vals = pa.array(getattr(values, "array", values))  # a Series or Index, or an Arrow-backed array
        vals = pc.drop_null(vals.combine_chunks() if isinstance(vals, pa.ChunkedArray) else vals)
        vals = vals.cast(pa.large_string())
    else:
        vals = values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else np.asarray(list(values), dtype=object)
        vals = pa.array([v for v in vals if isinstance(v, str)], type=pa.large_string())
    arr = pa.array(s.array).cast(pa.large_string())
    hit = pc.fill_null(pc.is_in(arr, value_set=vals), False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=s.index)


def sets_by(keys: pd.Series, values: pd.Series) -> dict:
    """``values.groupby(keys).agg(set)`` as a dict (rows with a blank key left out), by one pass over two object
    arrays: pandas builds a set per group through a Python call with a Series per group (seconds at 1M)."""
    k, v = keys.to_numpy(dtype=object), values.to_numpy(dtype=object)
    written = pd.notna(k)
    out: dict = {}
    for key, value in zip(k[written], v[written]):
        out.setdefault(key, set()).add(value)
    return out


def _arrow_strings(dtype: object) -> bool:
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """``frame.itertuples(index=False)`` (the same values, named the same way), read from one object array
    per column: pandas walks Arrow-backed string columns one Python scalar at a time (seconds for a
    loop over a large table)."""
    row = namedtuple("Row", list(frame.columns), rename=True)
    return map(row._make, zip(*(frame.iloc[:, k].to_numpy(dtype=object) for k in range(frame.shape[1]))))


class AuditContext:
    """Validated tables with canonical English columns, the resolved profile and the as-of date.

    Tables live in an embedded DuckDB connection (``sql``) and are also available as pandas
    frames (``table``). Detectors never read files.
    """

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        profile: Profile,
        as_of: dt.date,
        rejects: pd.DataFrame | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ):
        self.tables, self.profile, self.as_of = tables, profile, as_of
        self.rejects = rejects if rejects is not None else pd.DataFrame()
        self._con = con
        self._shared: dict[str, Any] = {}
        self.warnings: list[str] = []  # run-level notes from detectors (run.json warnings), each once

    def shared(self, key: str, build: Callable[[], Any]) -> Any:
        """An intermediate result several rules use (e.g. CARD-04's custody groups, read by CARD-07),
        built once per run by the first rule that asks for it."""
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    def warn(self, message: str) -> None:
        """A note for the whole run (shown by the CLI and kept in run.json), recorded once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def positions(self, name: str, column: str) -> "_Positions":
        """value -> row positions of table ``name`` by ``column`` (built once per run)."""
        return self.shared(f"positions:{name}:{column}", lambda: _Positions(*self.codes(name, column)))

    def codes(self, name: str, column: str) -> tuple[np.ndarray, Any]:
        """``pd.factorize`` of a table's column — (codes, uniques), a blank -1 — once per run: several rules
        group the register by household or village, and each hash of a million ids costs ~0.3 s."""
        return self.shared(f"codes:{name}:{column}", lambda: pd.factorize(self.table(name)[column]))

    def rows_of(self, name: str, column: str, key: object) -> pd.DataFrame:
        """The rows of table ``name`` whose ``column`` equals ``key``, in table order, from an index built once
        per run (a rule that looks up one household or case per finding must not scan a million rows each
        time)."""
        pos = self.positions(name, column).get(key)
        t = self.table(name)
        return t.iloc[pos] if pos is not None else t.iloc[0:0]

    def has(self, name: str) -> bool:
        return name in self.tables or (name == "rejects")

    def table(self, name: str) -> pd.DataFrame:
        return self.rejects if name == "rejects" else self.tables[name]

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect()
            for name, frame in self.tables.items():
                self._con.register(name, frame)
        return self._con

    def sql(self, query: str, **params: Any) -> pd.DataFrame:
        return self.con.execute(query, params or None).df()

    @cached_property
    def kinship(self):
        """The kinship graph (graphs.kinship.Kinship), built once from persons and relations."""
        from graphs.kinship import build_kinship

        return build_kinship(self.tables["persons"], self.tables.get("relations"))

    @cached_property
    def official_relatives(self) -> pd.DataFrame:
        """Close relatives (profile's kin_definition) of every official: x, y, category, term, path."""
        from graphs.terms import CATEGORIES_002

        cats = self.profile.get("kin_definition") or CATEGORIES_002
        return self.kinship.relatives(self.tables["officials"].person_id, cats, with_path=False)

    @cached_property
    def enrolled_members(self) -> pd.DataFrame:
        """case_id, person_id of enrolled members (each case's head when case_members is absent)."""
        if "case_members" in self.tables:
            m = self.tables["case_members"]
            return m[m.enrolled == "是"][["case_id", "person_id"]].drop_duplicates()
        return self.tables["cases"][["case_id", "head_id"]].rename(columns={"head_id": "person_id"})

    @cached_property
    def person_names(self) -> pd.Series:
        """person_id -> name from the register (one Series for every rule that names people)."""
        p = self.tables.get("persons")
        if p is None:
            return pd.Series(dtype=object)
        return self.by_person("name")

    @cached_property
    def person_household(self) -> pd.Series:
        """person_id -> household_id from the register (one Series for every rule that needs a person's household)."""
        return self.by_person("household_id")

    def by_person(self, column: str | pd.Series) -> pd.Series:
        """A register column (by name, or a Series aligned with the register's rows) indexed by person id, on
        the register's one hashed index of ids (a second index of a million ids costs ~100 MB once used); a
        repeated id keeps its first row."""
        p = self.table("persons")
        column = p[column] if isinstance(column, str) else column
        if self.person_index.is_unique:
            return pd.Series(column.array, index=self.person_index, name=column.name)
        keep = ~p.person_id.duplicated().to_numpy()
        return pd.Series(column.array[keep], index=p.person_id[keep].to_numpy(dtype=object), name=column.name)

    def on_register(self, frame: pd.DataFrame, on: str, columns: list[str]) -> pd.DataFrame:
        """``frame.merge(register[["person_id", *columns]], left_on=on, right_on="person_id")`` by the register's
        hashed id index (no hash of a million ids per call): the rows whose id is on the register, in their
        order (index reset), with the person's ``columns``."""
        at = self.person_index.get_indexer(frame[on])
        out = frame[at >= 0].reset_index(drop=True)
        at = at[at >= 0]
        p = self.table("persons")
        extra = ([] if on == "person_id" else ["person_id"]) + [c for c in columns if c not in out]
        return out.assign(**{c: p[c].array.take(at) for c in extra})

    @cached_property
    def person_index(self) -> pd.Index:
        """The register's person ids in its row order (hashed once: a position for any id)."""
        p = self.tables.get("persons")
        return pd.Index([], dtype=object) if p is None else pd.Index(p.person_id)

    @cached_property
    def villages(self) -> pd.DataFrame:
        """village_code -> village_name (the register's most common spelling) and township."""
        p = self.tables.get("persons")
        if p is None or "village_code" not in p:
            return pd.DataFrame(columns=["village_name", "township"])
        cols = [c for c in ("village_code", "village_name", "township") if c in p]
        v = p[cols].dropna(subset=["village_code"])
        # integer codes of the villages (in order of first appearance) instead of a Python call per village
        code, codes = pd.factorize(v.village_code)
        firsts = np.unique(code, return_index=True)[1]
        town = pd.Series(v.township.array.take(firsts), index=pd.Index(codes, name="village_code"), name="township")
        name = pd.Series(dtype=object)
        if "village_name" in v:
            # the most common spelling of each village's name, the first in sort order among equally common ones
            spelling, spellings = pd.factorize(v.village_name)
            written = spelling >= 0
            pair, count = np.unique(
                code[written].astype(np.int64) * len(spellings) + spelling[written], return_counts=True
            )
            modes = pd.DataFrame(
                {
                    "v": pair // len(spellings),
                    "name": np.asarray(spellings.take(pair % len(spellings)), dtype=object),
                    "n": count,
                }
            )
            modes = modes.sort_values(["v", "n", "name"], ascending=[True, False, True]).drop_duplicates("v")
            name = pd.Series(
                modes.name.to_numpy(),
                index=pd.Index(codes.take(modes.v.to_numpy()), name="village_code"),
                name="village_name",
            ).sort_index()
        return pd.DataFrame({"village_name": name, "township": town})

    def village_label(self, village_code: str | None) -> str:
        """新岩社区（522732001005） — the name people use, with the code to search by; the code alone
        where the register has no name."""
        if not isinstance(village_code, str):
            return ""
        name = self.villages.village_name.get(village_code) if village_code in self.villages.index else None
        return f"{name}（{village_code}）" if isinstance(name, str) and name else village_code

    def place_of(self, person_id: str | None) -> dict[str, str | None]:
        if person_id is None or person_id not in self.person_index:
            return {"household_id": None, "village_code": None, "township": None}
        at = self.person_index.get_loc(person_id)
        if isinstance(at, slice):  # a repeated id: its first row
            at = at.start
        elif not isinstance(at, (int, np.integer)):
            at = int(np.flatnonzero(at)[0])
        p = self.tables["persons"]
        return {k: p[k].iat[at] for k in ("household_id", "village_code", "township")}
