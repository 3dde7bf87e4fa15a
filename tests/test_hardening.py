"""One bad cell never changes the whole audit: implausible dates, stray payout months, tables whose
every row is rejected (columns shifted by a stray comma)."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.errors import InputError
from audit.load import load_workspace
from audit.run import default_as_of
from tests.factory import make_ctx, pid

HEAD = pid("19600101", 1)


def _case(i, **kw):
    return {
        "case_id": f"LB{i}",
        "household_id": f"H{i}",
        "head_id": pid("19600101", 2 * i + 1),
        "village_code": "522732001001",
        "township": "大河镇",
        "area_type": "农村",
        "benefit_type": "常补",
        "enrolled_count": "1",
        "monthly_amount": "300",
        "approval_date": "2022-01-10",
        "status": "在保",
        **kw,
    }


@pytest.mark.parametrize("value", ["9999-12-31", "99999", "1899-12-31", "2173年10月14日"])
def test_placeholder_and_implausible_dates_are_rejects_not_dates(value):
    ctx = make_ctx(cases=[_case(1, approval_date=value), _case(2)])
    rej = ctx.rejects[ctx.rejects.column == "approval_date"]
    assert rej.reason_code.tolist() == ["DATE_OUT_OF_RANGE"] and rej.row.tolist() == [2]
    assert "合理范围" in rej.reason.iloc[0]
    kept = ctx.table("cases").approval_date.dropna()
    assert kept.max() == pd.Timestamp("2022-01-10")


def test_a_stray_payout_month_does_not_move_the_reference_date():
    months = pd.to_datetime([f"2024-{m:02d}-01" for m in range(1, 13)] * 50 + ["2042-01-01"])
    as_of, basis, warning = default_as_of({"payments": pd.DataFrame({"period": months})}, min_share=0.1)
    assert str(as_of) == "2024-12-31" and "最新发放月份" in basis
    assert "1行" in warning and "2042年01月" in warning
    # a real last month with fewer rows (exits) is still the last month
    months = pd.to_datetime([f"2024-{m:02d}-01" for m in range(1, 12)] * 50 + ["2024-12-01"] * 30)
    assert str(default_as_of({"payments": pd.DataFrame({"period": months})}, 0.1)[0]) == "2024-12-31"


def _workspace(tmp_path, officials_lines):
    pd.DataFrame(
        [
            {
                "person_id": HEAD,
                "name": "张三",
                "household_id": "H1",
                "relation_to_head": "户主",
                "village_code": "522732001001",
                "township": "大河镇",
            }
        ]
    ).to_csv(tmp_path / "persons.csv", index=False)
    pd.DataFrame([_case(0)]).to_csv(tmp_path / "cases.csv", index=False)
    (tmp_path / "officials.csv").write_text("\n".join(officials_lines) + "\n", encoding="utf-8")


def test_officials_with_every_row_shifted_stop_the_import_with_the_reason(tmp_path):
    rows = [f",{pid('19700101', 2 * i + 1)},村委会主任,村,522732001001" for i in range(5)]
    _workspace(tmp_path, ["person_id,role,level,village_code"] + rows)
    with pytest.raises(InputError) as got:
        load_workspace(tmp_path)
    msg = str(got.value)
    assert "officials.csv" in msg and "全部5行均未能导入" in msg and "列错位" in msg


def test_a_trailing_comma_on_every_row_still_imports(tmp_path):
    rows = [f"{pid('19700101', 2 * i + 1)},村委会主任,村,522732001001," for i in range(5)]
    _workspace(tmp_path, ["person_id,role,level,village_code"] + rows)
    ws = load_workspace(tmp_path)
    assert len(ws.tables["officials"]) == 5


def test_an_optional_table_with_no_row_imported_is_left_out_and_its_rules_skip(tmp_path):
    from audit.run import run_audit

    rows = [f"{pid('19700101', 1)},村委会主任,村,522732001001"]
    _workspace(tmp_path, ["person_id,role,level,village_code"] + rows)
    (tmp_path / "deaths.csv").write_text("person_id,death_date\n,2023-01-01\n,2023-02-01\n", encoding="utf-8")
    res = run_audit(tmp_path, "sandu-2021", tmp_path / "out", as_of=pd.Timestamp("2024-12-31").date())
    assert any("deaths.csv：全部2行均未能导入" in w for w in res.run["warnings"])
    needs_deaths = [c for c, e in res.run["rules"].items() if "deaths" in e.get("reason", "")]
    assert needs_deaths and all(res.run["rules"][c]["status"] == "skipped" for c in needs_deaths)
    assert res.run["rejects"] == 2
