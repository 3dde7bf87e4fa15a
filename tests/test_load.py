"""Import exactly as DATA-CONTRACT.md says, on real malformed files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from audit.errors import InputError
from audit.load import load_workspace
from tests.factory import pid

HEAD, WIFE, KID = pid("19700101", 1), pid("19720202", 2), pid("19950505", 3)


def _write_minimal(ws, *, persons_rows=None, encoding="gb18030"):
    persons = pd.DataFrame(
        persons_rows
        or [
            {
                "公民身份号码": HEAD,
                "姓名": "张三",
                "户号": "H1",
                "与户主关系": "户主",
                "村（社区）代码": "522732001001",
                "乡镇（街道）": "大河镇",
                "县（市、区）": "三都水族自治县",
            },
            {
                "公民身份号码": WIFE,
                "姓名": "李四",
                "户号": "H1",
                "与户主关系": "妻子",
                "村（社区）代码": "522732001001",
                "乡镇（街道）": "大河镇",
                "县（市、区）": "三都水族自治县",
            },
        ]
    )
    persons.to_csv(ws / "户籍人口.csv", index=False, encoding=encoding)
    pd.DataFrame([{"身份证号": HEAD, "职务": "村委会主任", "层级": "村"}]).to_csv(ws / "干部.csv", index=False)
    pd.DataFrame(
        [
            {
                "低保编号": "LB1",
                "户号": "H1",
                "户主身份证号": HEAD,
                "村代码": "522732001001",
                "乡镇": "大河镇",
                "城乡类别": "农村",
                "保障类别": "常补",
                "保障人数": "2",
                "月保障金额": "1,077元",
                "审批日期": "44265",
                "状态": "在保",
            }
        ]
    ).to_csv(ws / "低保名册.csv", index=False, encoding="utf-8-sig")


def test_gbk_csv_with_chinese_headers_imports(tmp_path):
    _write_minimal(tmp_path)
    ws = load_workspace(tmp_path)
    p = ws.tables["persons"]
    assert list(p.person_id) == [HEAD, WIFE]
    assert list(p.relation_to_head) == ["户主", "配偶"]  # 妻子 is an accepted form of 配偶
    assert {s.encoding for s in ws.sources if s.table == "persons"} == {"gb18030"}
    assert list(p.sex) == ["男", "女"] and p.birth_date.iloc[0] == pd.Timestamp(1970, 1, 1)  # derived from the ID


def test_excel_serial_date_and_money_forms(tmp_path):
    _write_minimal(tmp_path)
    cases = load_workspace(tmp_path).tables["cases"]
    assert cases.approval_date.iloc[0] == pd.Timestamp(2021, 3, 10)
    assert cases.monthly_amount.iloc[0] == 1077.0


def test_bad_check_digit_goes_to_rejects_with_file_row_column(tmp_path):
    bad = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")
    rows = [
        {
            "公民身份号码": HEAD,
            "姓名": "张三",
            "户号": "H1",
            "与户主关系": "户主",
            "村（社区）代码": "V1",
            "乡镇（街道）": "大河镇",
            "县（市、区）": "三都",
        },
        {
            "公民身份号码": bad,
            "姓名": "王五",
            "户号": "H2",
            "与户主关系": "户主",
            "村（社区）代码": "V1",
            "乡镇（街道）": "大河镇",
            "县（市、区）": "三都",
        },
    ]
    _write_minimal(tmp_path, persons_rows=rows)
    ws = load_workspace(tmp_path)
    assert list(ws.tables["persons"].person_id) == [HEAD]
    [r] = ws.rejects.to_dict("records")
    assert (r["file"], r["row"], r["column"], r["reason_code"], r["action"]) == (
        "户籍人口.csv",
        3,
        "公民身份号码",
        "BAD_ID_CHECKSUM",
        "整行剔除",
    )
    assert bad not in r["value"]  # personal data is masked even in rejects


def test_duplicate_key_keeps_first_and_names_it(tmp_path):
    _write_minimal(tmp_path)
    df = pd.read_csv(tmp_path / "户籍人口.csv", encoding="gb18030", dtype=str)
    pd.concat([df, df.iloc[[0]]]).to_csv(tmp_path / "户籍人口.csv", index=False, encoding="gb18030")
    ws = load_workspace(tmp_path)
    assert len(ws.tables["persons"]) == 2
    [r] = ws.rejects.to_dict("records")
    assert r["reason_code"] == "DUPLICATE_KEY" and r["row"] == 4 and "第2行" in r["reason"]


def test_missing_required_column_stops_with_every_problem(tmp_path):
    _write_minimal(tmp_path)
    df = pd.read_csv(tmp_path / "户籍人口.csv", encoding="gb18030", dtype=str).drop(columns=["户号", "姓名"])
    df.to_csv(tmp_path / "户籍人口.csv", index=False, encoding="gb18030")
    (tmp_path / "干部.csv").unlink()
    with pytest.raises(InputError) as exc:
        load_workspace(tmp_path)
    msg = str(exc.value)
    assert "户籍人口.csv: 缺少必填列 'household_id'" in msg and "可接受的列名：household_id、户号" in msg
    assert "'name'" in msg and "文件中的列（第1行）：公民身份号码" in msg
    assert "缺少必需的数据表 officials" in msg and "（共3处）" in msg


def test_optional_bad_cell_is_cleared_and_reported(tmp_path):
    _write_minimal(tmp_path)
    df = pd.read_csv(tmp_path / "户籍人口.csv", encoding="gb18030", dtype=str)
    df["分户日期"] = ["2020年2月30日", "2020-05-01"]
    df.to_csv(tmp_path / "户籍人口.csv", index=False, encoding="gb18030")
    ws = load_workspace(tmp_path)
    assert len(ws.tables["persons"]) == 2
    assert pd.isna(ws.tables["persons"].household_split_date.iloc[0])
    [r] = ws.rejects.to_dict("records")
    assert (r["reason_code"], r["action"], r["column"]) == ("BAD_DATE", "该值置空", "分户日期")


def test_unknown_code_in_required_column(tmp_path):
    _write_minimal(tmp_path)
    df = pd.read_csv(tmp_path / "低保名册.csv", encoding="utf-8-sig", dtype=str)
    df["状态"] = ["待定"]
    df.to_csv(tmp_path / "低保名册.csv", index=False)
    with pytest.raises(InputError, match="低保名册.csv：全部1行均未能导入（状态：代码不在可接受取值内（1行））"):
        load_workspace(tmp_path)  # a required table with nothing imported stops the run, with the reason


def test_one_workbook_with_a_sheet_per_table_and_real_excel_dates(tmp_path):
    book = tmp_path / "县级数据导出.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame(
            [
                {
                    "身份证号": HEAD,
                    "姓名": "张三",
                    "户号": "H1",
                    "与户主关系": "户主",
                    "村代码": "V1",
                    "乡镇": "大河镇",
                    "县": "三都",
                }
            ]
        ).to_excel(xw, sheet_name="人员", index=False)
        pd.DataFrame(
            [{"身份证号": HEAD, "职务": "村支书", "层级": "村", "任职日期": dt.datetime(2021, 1, 5)}]
        ).to_excel(xw, sheet_name="干部及经办人员", index=False)
        pd.DataFrame(
            [
                {
                    "低保编号": "LB1",
                    "户号": "H1",
                    "户主身份证号": HEAD,
                    "村代码": "V1",
                    "乡镇": "大河镇",
                    "城乡类别": "城市",
                    "保障类别": "常补",
                    "保障人数": 1,
                    "月保障金额": 625,
                    "审批日期": dt.datetime(2022, 6, 1),
                    "状态": "在保",
                }
            ]
        ).to_excel(xw, sheet_name="低保名册", index=False)
        pd.DataFrame([{"x": 1}]).to_excel(xw, sheet_name="说明", index=False)
    ws = load_workspace(tmp_path)
    assert ws.tables["officials"].role.iloc[0] == "村党支部书记"
    assert ws.tables["officials"].start_date.iloc[0] == pd.Timestamp(2021, 1, 5)
    assert ws.tables["cases"].approval_date.iloc[0] == pd.Timestamp(2022, 6, 1)
    assert any("说明" in w for w in ws.warnings)  # an unknown sheet is reported, not silently skipped


def test_undecodable_or_unknown_files_are_reported(tmp_path):
    _write_minimal(tmp_path)
    (tmp_path / "备注.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    ws = load_workspace(tmp_path)
    assert any("备注.csv" in w for w in ws.warnings)


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="工作目录不存在"):
        load_workspace(tmp_path / "nope")


def test_text_in_amount_and_count_columns_is_a_reject_not_a_crash():
    """Under pandas 3 any text in a money column used to raise TypeError; now every such cell is a reject."""
    from tests.factory import make_ctx, person

    base = {
        "household_id": "H1",
        "head_id": HEAD,
        "village_code": "1",
        "township": "t",
        "area_type": "农村",
        "benefit_type": "常补",
        "approval_date": "2022-01-01",
        "status": "在保",
    }
    rows = [
        base | {"case_id": "LB1", "enrolled_count": "三", "monthly_amount": "待定"},
        base | {"case_id": "LB2", "enrolled_count": "2", "monthly_amount": "1e20"},
        base | {"case_id": "LB3", "enrolled_count": "2", "monthly_amount": "inf"},
        base | {"case_id": "LB4", "enrolled_count": "2", "monthly_amount": "¥1,300.50"},
    ]
    ctx = make_ctx(persons=[person(HEAD)], cases=rows)
    rej = ctx.rejects
    assert sorted(zip(rej.row, rej.reason_code)) == [
        (2, "BAD_INT"),
        (2, "BAD_MONEY"),
        (3, "BAD_MONEY"),
        (4, "BAD_MONEY"),
    ]
    assert ctx.table("cases").monthly_amount.tolist() == [1300.5]


@pytest.mark.parametrize(
    "rows",
    [
        [["待定", "", ""], ["", "待定", "待定"]],  # stray words under ordinary columns
        [[HEAD, "2023-01-10", "2023-01-10"], ["", "待定", "待定"]],  # equal neighbours look like a spread merge
    ],
)
def test_data_rows_under_a_one_row_header_are_never_taken_as_a_second_header_row(tmp_path, rows):
    _write_minimal(tmp_path)
    lines = ["person_id,start_date,end_date"] + [",".join(r) for r in rows]
    (tmp_path / "服刑在押.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = load_workspace(tmp_path)
    src = next(s for s in ws.sources if s.table == "detentions")
    assert src.header_row == 1 and src.rows_read == 2
    assert src.rows_loaded + src.rows_rejected == 2
