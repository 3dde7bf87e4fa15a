"""Household shapes of real rosters that are not one person per row with a 户号.

- 浪潮 台账统计明细 (REAL-EXPORTS.md R7): one row per case, the head in 户主姓名/身份证号码 and up to nine
  members as column pairs 成员一姓名/成员一身份证号 … — unpivoted to one person per row.
- 浪潮 家庭成员信息 (R6): one person per row, the household named only by 地区 and 户主姓名 (not unique) —
  grouped by the head's row (与户主关系 = 户主/本人), whose ID becomes the household key.
- Households keyed by the head's ID on one side and by 户号 on the other are reconciled through the head.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "MEMBER_HEADERS",
    "member_slots",
    "unpivot_members",
    "households_by_head_name",
    "reconcile_households",
]

_NUMERALS = "一二三四五六七八九十"
# 成员一姓名 / 成员一身份证号 … 成员十; also 成员1姓名 as some clerks retype it
MEMBER_HEADERS: dict[str, str] = {}
for _n, _zh in enumerate(_NUMERALS, start=1):
    for _k in (_zh, str(_n)):
        MEMBER_HEADERS[f"成员{_k}姓名"] = f"_m{_n:02d}_name"
        for _id in ("身份证号", "身份证号码", "公民身份号码", "证件号码"):
            MEMBER_HEADERS[f"成员{_k}{_id}"] = f"_m{_n:02d}_id"

_SLOT = re.compile(r"_m(\d\d)_(name|id)$")


def member_slots(columns) -> list[int]:
    """The member slots (1, 2, …) a wide roster has an ID column for."""
    return sorted({int(m.group(1)) for c in columns if (m := _SLOT.match(c)) and m.group(2) == "id"})


def unpivot_members(raw: pd.DataFrame, rows: pd.Series, labels: dict[str, str]) -> tuple[pd.DataFrame, pd.Series]:
    """One person per row from a case-per-row roster: the head (slot 0) then every member slot whose ID or
    name is filled. Returns the long frame (person_id, name, slot, the case's columns) and each person's
    Excel row (the case's row). A slot with a name and no ID stays, so the import rejects it by name
    (必填项为空) instead of dropping it."""
    slots = member_slots(raw.columns)
    parts = []
    head = pd.DataFrame(
        {
            "person_id": raw["head_id"].astype(str),
            "name": raw.get("_head_name", pd.Series("", index=raw.index)).astype(str),
            "slot": 0,
            "_pos": np.arange(len(raw)),
        }
    )
    parts.append(head)
    for s in slots:
        ids = raw[f"_m{s:02d}_id"].astype(str).str.strip()
        names = raw.get(f"_m{s:02d}_name", pd.Series("", index=raw.index)).astype(str).str.strip()
        filled = (ids != "") | (names != "")
        parts.append(
            pd.DataFrame(
                {"person_id": ids[filled], "name": names[filled], "slot": s, "_pos": np.flatnonzero(filled.to_numpy())}
            )
        )
    long = pd.concat(parts, ignore_index=True).sort_values(["_pos", "slot"], kind="stable").reset_index(drop=True)
    pos = long.pop("_pos").to_numpy()
    excel_rows = pd.Series(np.asarray(rows)[pos])
    # the column each person was read from, so a reject names 成员三身份证号 rather than a made-up label
    id_label = {0: labels.get("head_id", "身份证号码")}
    id_label.update({s: labels.get(f"_m{s:02d}_id", f"成员{_NUMERALS[s - 1]}身份证号") for s in slots})
    long["_id_label"] = long["slot"].map(id_label)
    long["_case_pos"] = pos
    return long, excel_rows


def households_by_head_name(
    village: pd.Series, head_name: pd.Series, person_id: pd.Series, is_head: pd.Series
) -> tuple[pd.Series, list[str]]:
    """The household of every row of a roster that names households only by 地区 + 户主姓名: the ID of the
    head's row. One head under a name: every row of that name is his household. Two heads of the same
    name (two families): a member belongs to the head row before it in the file (the export lists a
    family's rows together), else the one after. No head row: a key made of 地区 and 户主姓名, said."""
    key = village.astype(str).str.strip() + "|" + head_name.astype(str).str.strip()
    pid = person_id.astype(str).str.strip().str.upper()
    heads = is_head.to_numpy() & (pid != "").to_numpy()
    notes = []
    head_pos: dict[str, list[int]] = {}
    keys = key.to_numpy()
    for i in np.flatnonzero(heads):
        head_pos.setdefault(keys[i], []).append(i)
    headless: set[str] = set()
    ids = pid.to_numpy()
    values = np.empty(len(keys), dtype=object)
    for i, k in enumerate(keys):
        hp = head_pos.get(k)
        if not hp:
            values[i] = "HH-" + k
            headless.add(k)
        elif len(hp) == 1:
            values[i] = ids[hp[0]]
        else:
            before = [p for p in hp if p <= i]
            values[i] = ids[before[-1] if before else hp[0]]
    shared = sum(1 for hp in head_pos.values() if len(hp) > 1)
    if shared:
        notes.append(f"{shared}个户主姓名在同一地区对应两户以上，成员按行序归入其上方的户主")
    if headless:
        notes.append(f"{len(headless)}户没有户主行，按地区和户主姓名归户（户号记为“HH-地区|户主姓名”）")
    return pd.Series(values, index=key.index, dtype=object), notes


def reconcile_households(tables: dict[str, pd.DataFrame], by_head: set[str]) -> list[str]:
    """Cases and persons name a household by the same key. Where one side had no 户号 and was keyed by the
    head's ID (``by_head``: the tables so keyed), take the other side's 户号 through the head's row."""
    cases, persons = tables.get("cases"), tables.get("persons")
    if cases is None or persons is None or not by_head or len(by_head) == 2:
        return []
    heads = persons[persons.relation_to_head == "户主"].drop_duplicates("person_id")
    if "cases" in by_head:
        hh = cases.head_id.map(heads.set_index("person_id").household_id)
        n = int(hh.notna().sum())
        cases["household_id"] = hh.fillna(cases.household_id)
        return [f"低保名册没有户号：{n:,}户按户主身份证号对应到人员表的户号"] if n else []
    # persons keyed by the head's ID: a head who heads a case takes the case's 户号, and so do his members
    own = cases.drop_duplicates("head_id").set_index("head_id").household_id
    hh = persons.household_id.map(own)
    n = int(hh[persons.relation_to_head == "户主"].notna().sum())
    persons["household_id"] = hh.fillna(persons.household_id)
    return [f"人员表没有户号：{n:,}户按户主身份证号对应到低保名册的户号"] if n else []
