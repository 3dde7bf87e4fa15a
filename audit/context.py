"""AuditContext: what a detector sees (validated tables, profile, reference date, store)."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

import duckdb
import pandas as pd

from audit.profile import Profile

__all__ = ["AuditContext"]


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
    def person_place(self) -> pd.DataFrame:
        """person_id -> household_id, village_code, township, name (from the register)."""
        p = self.tables.get("persons")
        cols = ["person_id", "household_id", "village_code", "township", "name"]
        return pd.DataFrame(columns=cols) if p is None else p[cols].set_index("person_id")

    def place_of(self, person_id: str | None) -> dict[str, str | None]:
        if person_id is None or person_id not in self.person_place.index:
            return {"household_id": None, "village_code": None, "township": None}
        row = self.person_place.loc[person_id]
        return {"household_id": row["household_id"], "village_code": row["village_code"], "township": row["township"]}
