"""Files in the layouts real systems produce (REAL-EXPORTS.md): synthetic people, real headers and
structure — title and 制表单位 rows, merged two- and three-row headers, 合计 rows, 制表人 footers, .xls
written by Excel 97 (xlwt) with merged cells, the national 社会救助信息系统 family and person exports,
bank statements with date and time apart and no channel column."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from audit.load import load_workspace
from audit.run import run_audit
from tests.factory import pid

HEADS = [pid("19600101", 2 * i + 1) for i in range(6)]
WIVES = [pid("19620101", 2 * i + 2) for i in range(6)]


def _xlsx(path, rows, merges=()):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)


def _xls(path, rows, merges=()):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("Sheet1")
    merged = {}
    for r0, r1, c0, c1 in merges:
        merged[(r0, c0)] = (r1, c1)
    covered = {(r, c) for (r0, c0), (r1, c1) in merged.items() for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if (i, j) in merged:
                r1, c1 = merged[(i, j)]
                sh.write_merge(i, r1, j, c1, v)
            elif (i, j) not in covered and v not in (None, ""):
                sh.write(i, j, v)
    book.save(str(path))


def _minimal_register(ws, village="522732001001"):
    """persons, officials and cases under contract names, so a single real file can be imported beside them."""
    persons = [
        {
            "person_id": h,
            "name": f"户主{i}",
            "household_id": f"H{i}",
            "relation_to_head": "户主",
            "village_code": village,
            "township": "大河镇",
            "county": "三都水族自治县",
        }
        for i, h in enumerate(HEADS)
    ]
    pd.DataFrame(persons).to_csv(ws / "persons.csv", index=False)
    pd.DataFrame([{"person_id": HEADS[0], "role": "村委会主任", "level": "村", "village_code": village}]).to_csv(
        ws / "officials.csv", index=False
    )
    cases = [
        {
            "case_id": f"LB{i}",
            "household_id": f"H{i}",
            "head_id": h,
            "village_code": village,
            "township": "大河镇",
            "area_type": "农村",
            "benefit_type": "常补",
            "enrolled_count": 2,
            "monthly_amount": 600,
            "approval_date": "2023-01-10",
            "status": "在保",
        }
        for i, h in enumerate(HEADS)
    ]
    pd.DataFrame(cases).to_csv(ws / "cases.csv", index=False)


# ---------------------------------------------------------------- R4: 浪潮 发放签字表 (.xls, merged 2-row header)
def _signature_roster(total_amount: float):
    head1 = [
        "地区",
        "姓名",
        "身份证号",
        "低保证号",
        "保障人数",
        "保障金（元）",
        "分类施保金（元）",
        "其他专项补贴金",
        "",
        "发放合计（元）",
        "居住地址",
        "账户名称",
        "开户银行",
        "银行账号",
        "领取人",
    ]
    head2 = ["", "", "", "", "", "", "", "高龄补贴", "物价补贴", "", "", "", "", "", ""]
    rows = [
        ["2024年5月农村低保金发放签字表"] + [""] * 14,
        ["制表单位：大河镇民政所"] + [""] * 14,
        ["日期：2024-06-01"] + [""] * 14,
        head1,
        head2,
    ]
    for i, h in enumerate(HEADS[:5]):
        rows.append(
            [
                "大河村",
                f"户主{i}",
                h,
                f"LB{i}",
                2,
                500,
                60,
                20,
                20,
                600,
                "大河村",
                f"户主{i}",
                "农业银行",
                f"62284800000000{i:05d}",
                "",
            ]
        )
    rows.append(["合计", "", "", "", 10, 2500, 300, 100, 100, total_amount, "", "", "", "", ""])
    rows.append(["制表人：王某", "", "", "", "", "", "", "审核人：李某", "", "", "", "", "", "", ""])
    merges = [(0, 0, 0, 14), (1, 1, 0, 14), (2, 2, 0, 14), (3, 3, 7, 8)] + [
        (3, 4, c, c) for c in (0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14)
    ]
    return rows, merges


def test_r4_signature_roster_xls_with_title_merged_header_total_and_footer(tmp_path):
    _minimal_register(tmp_path)
    rows, merges = _signature_roster(3000)
    _xls(tmp_path / "大河镇2024年5月低保发放签字表.xls", rows, merges)
    ws = load_workspace(tmp_path)
    pay = ws.tables["payments"]
    assert len(pay) == 5 and pay.amount.tolist() == [600.0] * 5  # 发放合计, not 保障金
    assert set(pay.period.dt.strftime("%Y-%m")) == {"2024-05"}  # the month is only in the title
    assert pay.src_row.tolist() == [6, 7, 8, 9, 10]  # Excel's own row numbers
    assert ws.rejects.empty  # 合计 and 制表人 are structure
    src = next(s for s in ws.sources if s.table == "payments")
    assert src.header_row == "4-5" and {x["kind"] for x in src.structure} == {"合计行", "表尾"}
    assert any("发放月份取自标题" in n for n in src.notes)


def test_r4_total_row_that_disagrees_with_the_rows_is_a_data_finding(tmp_path):
    _minimal_register(tmp_path)
    rows, merges = _signature_roster(3600)  # the rows add up to 3,000
    _xls(tmp_path / "发放签字表.xls", rows, merges)
    ws = load_workspace(tmp_path)
    [r] = ws.rejects.itertuples()
    assert r.reason_code == "TOTAL_MISMATCH" and r.row == 11 and "3,600.00" in r.reason and r.action == "请核对"
    assert len(ws.tables["payments"]) == 5  # nothing dropped


# ---------------------------------------------------------------- merged 月保障金额 over 保障金/分类施保金/合计
def test_merged_monthly_amount_resolves_to_its_total_sub_column(tmp_path):
    _minimal_register(tmp_path)
    (tmp_path / "cases.csv").unlink()
    head1 = [
        "低保编号",
        "户号",
        "户主身份证号",
        "村代码",
        "乡镇",
        "城乡类别",
        "保障类别",
        "保障人数",
        "月保障金额",
        "",
        "",
        "审批日期",
        "状态",
    ]
    head2 = ["", "", "", "", "", "", "", "", "保障金", "分类施保金", "合计", "", ""]
    rows = [["大河镇低保名册（2024年12月）"] + [""] * 12, head1, head2]
    for i, h in enumerate(HEADS[:4]):
        rows.append(
            [f"LB{i}", f"H{i}", h, "522732001001", "大河镇", "农村", "常补", 2, 500, 60, 560, "2023-01-10", "在保"]
        )
    _xlsx(tmp_path / "低保名册.xlsx", rows, merges=["A1:M1", "I2:K2"] + [f"{c}2:{c}3" for c in "ABCDEFGHLM"])
    ws = load_workspace(tmp_path)
    c = ws.tables["cases"]
    assert c.monthly_amount.tolist() == [560.0] * 4 and c.addon_amount.tolist() == [60.0] * 4
    src = next(s for s in ws.sources if s.table == "cases")
    assert any("取“合计”列" in n for n in src.notes)


def test_amount_split_over_sub_columns_without_a_total_is_their_sum(tmp_path):
    """R9 村城保名册: 领取金额 over 家庭补差 / 重点救助60元 / 残疾人救助, no 合计 sub-column."""
    _minimal_register(tmp_path)
    head1 = ["序号", "户主姓名", "低保证号", "发放月份", "发放金额", "", "", "发放账号"]
    head2 = ["", "", "", "", "家庭补差", "重点救助60元", "残疾人救助", ""]
    rows = [["七田村城保名册"] + [""] * 7, head1, head2]
    for i in range(3):
        rows.append([i + 1, f"户主{i}", f"LB{i}", "2024-05", 300, 60, 0, f"6228480000000000{i:03d}"])
    _xlsx(tmp_path / "城保名册.xlsx", rows, merges=["A1:H1", "E2:G2"])
    ws = load_workspace(tmp_path)
    assert ws.tables["payments"].amount.tolist() == [360.0] * 3
    assert any("按各子列之和计" in n for n in next(s for s in ws.sources if s.table == "payments").notes)


# ---------------------------------------------------------------- R1 + R2: the national export as a workspace
def _national(ws):
    fam = [
        "户主姓名",
        "户主身份证号",
        "家庭人口",
        "保障人口",
        "家庭年总收入（元）",
        "家庭年均收入（元）",
        "户月保障金额（元）",
        "家庭分类施保总额（元）",
        "人员分类施保总额（元）",
        "合计（元）",
        "联系电话",
        "家庭住址",
        "所属省",
        "所属市",
        "所属区县",
        "所属街道",
        "所属社区",
        "低保（特困）证号",
        "最初享受月",
        "申请原因",
        "救助金计算方式",
        "分档类型",
        "开户银行",
        "银行账户名称",
        "银行帐号",
        "一卡通账号",
    ]
    rows = [fam]
    people = [
        [
            "姓名",
            "身份证号",
            "户主身份证号",
            "与户主关系",
            "性别",
            "出生日期",
            "残疾等级",
            "劳动能力",
            "救助类型",
            "户月保障金额（元）",
            "所属区县",
            "所属街道",
            "所属社区",
            "低保（特困）证号",
        ]
    ]
    for i, (h, w) in enumerate(zip(HEADS[:4], WIVES[:4])):
        town, village = ("大河镇", "大河村") if i < 2 else ("周覃镇", "板告村")
        rows.append(
            [
                f"户主{i}",
                h,
                2,
                2,
                4000,
                2000,
                560,
                "",
                "",
                560,
                "",
                "",
                "贵州省",
                "黔南州",
                "三都水族自治县",
                town,
                village,
                f"52273220190{i}",
                "2019-03",
                "因病",
                "补差",
                "",
                "农业银行",
                f"户主{i}",
                f"62284800000000{i:05d}",
                "",
            ]
        )
        people.append(
            [
                f"户主{i}",
                h,
                h,
                "本人",
                "男",
                "1960-01-01",
                "",
                "有",
                "农村低保",
                560,
                "三都水族自治县",
                town,
                village,
                f"52273220190{i}",
            ]
        )
        people.append(
            [
                f"妻{i}",
                w,
                h,
                "妻",
                "女",
                "1962-01-01",
                "二级",
                "部分丧失",
                "农村低保",
                560,
                "三都水族自治县",
                town,
                village,
                f"52273220190{i}",
            ]
        )
    _xlsx(ws / "农村低保家庭查询_20240630.xlsx", rows)
    _xlsx(ws / "农村低保人员查询_20240630.xlsx", people)
    pd.DataFrame([{"身份证号": HEADS[5], "姓名": "干部", "职务": "村委会主任", "层级": "村"}]).to_csv(
        ws / "干部.csv", index=False
    )


def test_national_family_and_person_exports_are_a_workspace(tmp_path):
    _national(tmp_path)
    ws = load_workspace(tmp_path)
    c, p, m = ws.tables["cases"], ws.tables["persons"], ws.tables["case_members"]
    assert len(c) == 4 and len(p) == 8 and len(m) == 8 and ws.rejects.empty
    assert set(c.area_type) == {"农村"} and set(c.status) == {"在保"}
    assert c.household_id.tolist() == c.head_id.tolist()  # households keyed by 户主身份证号
    assert c.approval_date.min() == pd.Timestamp("2019-03-01")
    assert c.village_code.nunique() == 2 and set(c.village_code) == set(p.village_code)  # stable generated codes
    assert c.village_code.str.startswith("V").all()
    notes = " ".join(ws.warnings)
    assert "按户主身份证号归户" in notes and "城乡类别取自文件名" in notes and "保障类别" in notes
    again = load_workspace(tmp_path)
    assert again.tables["cases"].village_code.tolist() == c.village_code.tolist()


def test_national_export_audits_end_to_end(tmp_path):
    _national(tmp_path)
    res = run_audit(tmp_path, "sandu-2021", tmp_path / "out")
    assert res.run["rules"]["AWD-01"]["status"] == "ran" and (tmp_path / "out" / "findings.csv").exists()
    assert res.run["row_counts"]["cases"]["loaded"] == 4


# ---------------------------------------------------------------- files not used are listed with the reason
def test_unrecognised_and_damaged_files_are_listed_with_the_reason(tmp_path):
    _minimal_register(tmp_path)
    (tmp_path / "会议纪要.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    _xlsx(tmp_path / "统计表.xlsx", [["地区", "低保户数", "低保人数"], ["大河镇", 10, 20], ["合计", 10, 20]])
    (tmp_path / "说明.docx").write_bytes(b"x")
    ws = load_workspace(tmp_path)
    unused = {u["file"].split(":")[0]: u["reason"] for u in ws.unused}
    assert "已损坏" in unused["会议纪要.xlsx"] and "不是 CSV" in unused["说明.docx"]
    assert "统计表.xlsx" in unused
    assert any(w.startswith("未使用 会议纪要.xlsx") for w in ws.warnings)


# ---------------------------------------------------------------- bank statements
def test_b7_investigation_statement_gbk_with_in_out_flag_and_no_channel(tmp_path):
    _minimal_register(tmp_path)
    head = (
        "交易卡号,交易账号,账户开户名称,开户人证件号码,交易时间,交易金额,交易余额,收付标志,交易对手账卡号,"
        "现金标志,摘要说明,交易网点名称"
    )
    lines = [
        head,
        "6228480000000000001,,户主0,,2024-05-11 09:01:00,600.00,0.00,出,,现金,ATM取款,大河村助农点",
        "6228480000000000001,,户主0,,2024-05-12 10:00:00,\t600.00,600.00,进,6228480000000000099,,转账存入,网银",
        "6228480000000000001,,户主0,,2024-05-13 10:00:00,50.00,550.00,出,,,其他,",
        "合计,,,,,1250.00,,,,,,",
    ]
    (tmp_path / "调单交易明细.csv").write_bytes("\n".join(lines).encode("gb18030"))
    ws = load_workspace(tmp_path)
    w = ws.tables["withdrawals"]
    assert len(w) == 3 and w.direction.tolist() == ["支出", "存入", "支出"]
    assert w.channel.tolist() == ["ATM", "转账", "未知"] and w.amount.tolist() == [600.0, 600.0, 50.0]
    assert any("没有交易渠道列" in n for n in ws.warnings) and ws.rejects.empty


def test_b1_statement_with_date_and_time_apart_signed_amounts_and_the_card_in_the_preamble(tmp_path):
    _minimal_register(tmp_path)
    lines = [
        "账户明细查询",
        "卡号：6228480000000000007",
        "交易日期,交易时间,交易摘要,交易金额,本次余额,对手信息,日 志 号,交易渠道,交易附言",
        "20240510,093015,代发,+600.00,600.00,民政局,1,电子商务,",
        "20240510,101500,取款,-600.00,0.00,,2,自动柜员机,",
    ]
    (tmp_path / "农行流水.csv").write_text("\n".join(lines), encoding="utf-8")
    ws = load_workspace(tmp_path)
    w = ws.tables["withdrawals"]
    assert w.account_no.tolist() == ["6228480000000000007"] * 2
    assert w.time.tolist() == [pd.Timestamp("2024-05-10 09:30:15"), pd.Timestamp("2024-05-10 10:15:00")]
    assert (
        w.direction.tolist() == ["存入", "支出"]
        and w.channel.tolist() == ["POS", "ATM"]
        and w.amount.tolist() == [600.0] * 2
    )


def test_saved_column_mapping_is_used_by_the_next_import(tmp_path):
    """A file with headers no alias knows: the user maps them once (列对应.json), and the import uses it."""
    from audit.errors import InputError
    from audit.load import inspect_workspace, save_mapping

    _minimal_register(tmp_path)
    (tmp_path / "cases.csv").unlink()
    rows = [["编号", "户", "户主证件", "村", "镇", "城乡", "类别", "人数", "月发放", "批准日", "在保否"]]
    rows += [
        [f"LB{i}", f"H{i}", h, "522732001001", "大河镇", "农村", "常补", 2, 600, "2023-01-10", "在保"]
        for i, h in enumerate(HEADS[:3])
    ]
    _xlsx(tmp_path / "我县名册.xlsx", rows)
    with pytest.raises(InputError, match="缺少必需的数据表 cases"):
        load_workspace(tmp_path)
    [item] = [i for i in inspect_workspace(tmp_path) if i["file"].startswith("我县名册")]
    assert item["table"] is None and "户主证件" in item["headers"]
    names = dict(
        zip(
            [
                "case_id",
                "household_id",
                "head_id",
                "village_code",
                "township",
                "area_type",
                "benefit_type",
                "enrolled_count",
                "monthly_amount",
                "approval_date",
                "status",
            ],
            rows[0],
        )
    )
    save_mapping(tmp_path, item["file"], "cases", {v: k for k, v in names.items()})
    ws = load_workspace(tmp_path)
    assert len(ws.tables["cases"]) == 3 and ws.tables["cases"].monthly_amount.tolist() == [600.0] * 3
    assert any("列对应" in w for w in ws.warnings)


def test_r8_bank_account_list_imports_as_accounts(tmp_path):
    """浪潮 银行账户 list: 身份证号 is the holder, 开户银行/账户名称/银行账号 map to the contract."""
    _minimal_register(tmp_path)
    rows = [
        ["地区", "户主姓名", "身份证号", "低保证号", "起始保障年月", "开户银行", "账户名称", "银行账号", "账号状态"]
    ]
    rows += [
        ["大河村", f"户主{i}", h, f"LB{i}", "2019-03", "农业银行", f"户主{i}", f"62284800000000{i:05d}", "1"]
        for i, h in enumerate(HEADS[:4])
    ]
    _xlsx(tmp_path / "samBankAccountList.xlsx", rows)
    ws = load_workspace(tmp_path)
    a = ws.tables["accounts"]
    assert len(a) == 4 and a.holder_id.tolist() == HEADS[:4] and set(a.bank) == {"农业银行"} and ws.rejects.empty


def test_r3_payout_detail_without_case_ids_joins_to_the_roll_by_id(tmp_path):
    """浪潮 发放明细: title with the month, 制表单位/日期 rows, no 低保编号 — matched to cases by 身份证号."""
    _minimal_register(tmp_path)
    stranger = pid("19700101", 99)
    rows = [
        ["2024-05城市低保发放明细"] + [""] * 9,
        ["制表单位：大河镇民政所"] + [""] * 9,
        ["日期：2024-06-01"] + [""] * 9,
        [
            "属地",
            "姓名",
            "身份证号",
            "保障人数",
            "保障金（元）",
            "分类施保金（元）",
            "发放合计（元）",
            "账户名称",
            "开户银行",
            "账号",
        ],
    ]
    for i, h in enumerate(HEADS[:3] + [stranger]):
        rows.append(["大河村", f"户主{i}", h, 2, 540, 60, 600, f"户主{i}", "农业银行", f"62284800000000{i:05d}"])
    rows.append(["合计", "", "", 8, 2160, 240, 2400, "", "", ""])
    _xlsx(tmp_path / "2024-05城市低保发放明细.xlsx", rows, merges=["A1:J1", "A2:J2", "A3:J3"])
    ws = load_workspace(tmp_path)
    pay = ws.tables["payments"]
    assert pay.case_id.tolist() == ["LB0", "LB1", "LB2"] and pay.amount.tolist() == [600.0] * 3
    assert set(pay.period.dt.strftime("%Y-%m")) == {"2024-05"}
    [r] = ws.rejects.itertuples()  # the ID that is not on the roll: named, not dropped
    assert r.row == 8 and r.reason_code == "NO_CASE_FOR_ID" and r.person_id == stranger


def test_r5_family_query_xls_with_title_and_footer_imports_as_cases(tmp_path):
    """浪潮 低保家庭查询: title row, header, data, a 制表人/制表时间 last row; 身份证号 is the head's."""
    _minimal_register(tmp_path)
    (tmp_path / "cases.csv").unlink()
    rows = [
        ["城市低保家庭查询"] + [""] * 10,
        [
            "地区",
            "户主姓名",
            "身份证号",
            "低保证号",
            "主要致贫原因",
            "家庭人口数",
            "保障人口数",
            "保障金额（元）",
            "供养方式",
            "起始保障年月",
            "家庭住址",
        ],
    ]
    rows += [
        ["大河村", f"户主{i}", h, f"LB{i}", "因病", 3, 2, 600, "", "2020-07", "大河村"] for i, h in enumerate(HEADS[:3])
    ]
    rows.append(["制表人：王某", "", "", "", "", "", "", "制表时间：2024-06-30", "", "", ""])
    _xls(tmp_path / "queryFamilyActionExcel.xls", rows, [(0, 0, 0, 10)])
    ws = load_workspace(tmp_path)
    c = ws.tables["cases"]
    assert c.case_id.tolist() == ["LB0", "LB1", "LB2"] and c.head_id.tolist() == HEADS[:3] and ws.rejects.empty
    assert c.monthly_amount.tolist() == [600.0] * 3 and set(c.area_type) == {"城市"}
    assert c.approval_date.min() == pd.Timestamp("2020-07-01") and c.village_code.nunique() == 1


# ---------------------------------------------------------------- R7: 浪潮 台账统计明细 (HTML .xls, members as columns)
_NUM = "一二三四五六七八九"


def _td(v, **span) -> str:
    attrs = "".join(f' {k}="{n}"' for k, n in span.items())
    return f"<td{attrs}>{v}</td>"


def _standing_book(path, cases, title="大河镇大河村台账统计明细", without=()):
    """An HTML table named .xls, as 浪潮's next-excel writes standingBookExcel.jsp: title and 统计单位 rows
    spanning 49 columns, a two-row header (成年人/未成年人 over their sub-columns), members as nine column
    pairs, a 制表人/制表时间 footer."""
    single = (
        "登记时间 证件号码 户主姓名 身份证号码 性别 民族 家庭住址 邮编 家庭电话 享受保障类别 享受保障人数 "
        "女性人数 残疾人数 三无人员 老年人"
    ).split()
    after = "户月保障金 月收入 最低生活标准 金额二 金额三 开户行 开户行账号 变动种类 变动时间 户主是否享受".split()
    members = [f"成员{n}{k}" for n in _NUM for k in ("姓名", "身份证号")]
    names = single + ["在职人员", "灵活就业", "登记失业", "未登记失业", "在校生", "其他"] + after + members
    after = [h for h in after if h not in without]
    head1 = (
        "".join(_td(h, rowspan=2) for h in single)
        + _td("成年人", colspan=4)
        + _td("未成年人", colspan=2)
        + "".join(_td(h, rowspan=2) for h in after + members)
    )
    head2 = "".join(_td(h) for h in ("在职人员", "灵活就业", "登记失业", "未登记失业", "在校生", "其他"))
    body = []
    for c in cases:
        cells = [c["date"], c["card"], c["head_name"], c["head_id"], "男", "水族", "大河村一组", "558100"]
        cells += [c.get("phone", ""), "农村低保", c["count"], 1, 0, "否", 0, 0, 1, 0, 0, 1, 0]
        cells += [c["amount"], 300, 650, "", "", "农业银行", c["account"], c.get("change", "新增")]
        cells += [c.get("change_date", ""), c.get("head_enjoys", "是")]
        pairs = [x for name, pid_ in c["members"] for x in (name, pid_)]
        cells += pairs + [""] * (18 - len(pairs))
        cells = [v for h, v in zip(names, cells) if h not in without]
        body.append("<tr>" + "".join(_td(v) for v in cells) + "</tr>")
    html = (
        "<html><head><meta charset='utf-8'></head><body><table border='1'>"
        f"<tr>{_td(title, colspan=49)}</tr>"
        f"<tr>{_td('统计单位：大河镇人民政府', colspan=49)}</tr>"
        f"<tr>{head1}</tr><tr>{head2}</tr>" + "".join(body) + f"<tr>{_td('制表人：王某', colspan=24)}"
        f"{_td('制表时间：2024年06月30日', colspan=25)}</tr></table></body></html>"
    )
    path.write_text(html, encoding="utf-8")


def _r7_cases():
    kids = [pid("20100101", 2 * i + 11) for i in range(4)]
    bad = WIVES[2][:-1] + ("0" if WIVES[2][-1] != "0" else "1")  # a member's ID with a wrong check digit
    return [
        {"date": "2019-03-15", "card": "0052010001", "head_name": "户主0", "head_id": HEADS[0], "count": 3,
         "amount": 620, "account": "6228480000000000017", "phone": "13800000001",
         "members": [("妻0", WIVES[0]), ("子0", kids[0])]},
        {"date": "2020-07-01", "card": "0052010002", "head_name": "户主1", "head_id": HEADS[1], "count": 1,
         "amount": 300, "account": "6228480000000000025", "head_enjoys": "否", "members": [("妻1", WIVES[1])]},
        {"date": "2021-01-20", "card": "0052010003", "head_name": "户主2", "head_id": HEADS[2], "count": 4,
         "amount": 900, "account": "6228480000000000033",
         "members": [("子2", kids[1]), ("女2", kids[2]), ("妻2", bad)]},
        {"date": "2018-05-01", "card": "0052010004", "head_name": "户主3", "head_id": HEADS[3], "count": 1,
         "amount": 320, "account": "6228480000000000041", "change": "停保", "change_date": "2024-03-31",
         "members": []},
    ]  # fmt: skip


def _officials(ws):
    pd.DataFrame([{"person_id": pid("19700101", 51), "role": "村委会主任", "level": "村"}]).to_csv(
        ws / "officials.csv", index=False
    )


def test_r7_standing_book_unpivots_members_into_persons_and_case_members(tmp_path):
    _standing_book(tmp_path / "大河村台账统计明细.xls", _r7_cases())
    _officials(tmp_path)
    ws = load_workspace(tmp_path)
    c, p, m = ws.tables["cases"], ws.tables["persons"], ws.tables["case_members"]
    # cases: 证件号码 is the 低保证号 (leading zeros kept), 身份证号码 the head's, 登记时间 the approval date
    assert c.case_id.tolist() == ["0052010001", "0052010002", "0052010003", "0052010004"]
    assert c.head_id.tolist() == HEADS[:4] and c.household_id.tolist() == HEADS[:4]
    assert c.monthly_amount.tolist() == [620.0, 300.0, 900.0, 320.0] and set(c.standard) == {650.0}
    assert c.account_no.tolist()[0] == "6228480000000000017" and set(c.area_type) == {"农村"}
    assert c.approval_date.tolist()[0] == pd.Timestamp("2019-03-15")
    assert c.status.tolist() == ["在保", "在保", "在保", "停保"] and c.exit_date.iloc[3] == pd.Timestamp("2024-03-31")
    assert c.village_code.nunique() == 1 and set(c.township) == {"未注明"}
    # persons: 4 heads + 6 members listed, minus the one with a bad check digit (rejected, named)
    assert len(p) == 9 and set(p[p.relation_to_head == "户主"].person_id) == set(HEADS[:4])
    assert p.set_index("person_id").household_id[WIVES[0]] == HEADS[0]
    assert p.set_index("person_id").phone[HEADS[0]] == "13800000001"
    assert set(p.village_code) == set(c.village_code)
    enrolled = m.set_index("person_id").enrolled
    assert enrolled[HEADS[1]] == "否" and enrolled[WIVES[1]] == "是" and enrolled[HEADS[0]] == "是"
    assert m.set_index("person_id").case_id[WIVES[1]] == "0052010002"
    # the bad member ID: one reject per table it would have entered, at the case's Excel row (5 + 2), named by column
    bad = ws.rejects[ws.rejects.reason_code == "BAD_ID_CHECKSUM"]
    assert (
        set(bad.table) == {"persons", "case_members"} and set(bad.row) == {7} and set(bad.column) == {"成员三身份证号"}
    )
    assert len(ws.rejects) == 2
    notes = " ".join(ws.warnings)
    assert "证件号码即低保证号" in notes and "表尾1行" in notes and "大河镇大河村" in notes


def test_r7_standing_book_alone_audits_end_to_end(tmp_path):
    _standing_book(tmp_path / "台账统计明细.xls", _r7_cases())
    _officials(tmp_path)
    res = run_audit(tmp_path, "sandu-2021", tmp_path / "out")
    assert res.run["row_counts"]["cases"]["loaded"] == 4 and res.run["row_counts"]["persons"]["loaded"] == 9
    assert res.run["rules"]["AWD-01"]["status"] == "ran"


def test_r7_without_head_enrolment_column_counts_the_head_enrolled(tmp_path):
    _standing_book(tmp_path / "台账统计明细.xls", _r7_cases(), without=("户主是否享受",))
    _officials(tmp_path)
    m = load_workspace(tmp_path).tables["case_members"].set_index("person_id").enrolled
    assert m[HEADS[1]] == "是" and m[WIVES[1]] == "是" and len(m) == 9


def test_r7_members_yield_to_a_register_and_cases_take_its_household_numbers(tmp_path):
    """With a 户籍人口 file beside it, the register is the persons table and the roll's households (keyed
    by the head's ID) take the register's 户号 through the head."""
    _minimal_register(tmp_path)
    (tmp_path / "cases.csv").unlink()
    _standing_book(tmp_path / "台账统计明细.xls", _r7_cases())
    ws = load_workspace(tmp_path)
    assert len(ws.tables["persons"]) == 6  # the register's rows only
    assert ws.tables["cases"].household_id.tolist() == ["H0", "H1", "H2", "H3"]
    assert any("未使用这些由名册生成的行" in w for w in ws.warnings)
    assert any("按户主身份证号对应到人员表的户号" in w for w in ws.warnings)


# ---------------------------------------------------------------- R6: 浪潮 家庭成员信息 (households by 户主姓名)
def _family_members(path, rows):
    head = ["地区", "姓名", "身份证号", "性别", "户主姓名", "是否保障对象", "与户主关系", "年收入（元）"]
    head += ["健康状况", "婚姻状况", "教育状况"]
    grid = [["家庭成员信息"] + [""] * 10, ["制表单位：大河镇民政所", "", "", "", "日期：2024-06-30"] + [""] * 6, head]
    grid += [[v, n, i, "", h, e, r, 3000, "健康", "已婚", "初中"] for v, n, i, h, e, r in rows]
    _xlsx(path, grid, merges=["A1:K1", "A2:D2", "E2:K2"])


def test_r6_family_members_grouped_by_head_row_and_joined_to_the_roll(tmp_path):
    """Households named only by 地区 + 户主姓名: two families whose heads are both 王大 in 大河村 are told
    apart by the head's row above them; members join the roll through the head's ID; a family whose head
    is not on the roll is a named reject of the members table (the people still import)."""
    _minimal_register(tmp_path)  # cases LB0..LB5 headed by HEADS[i], household H{i}
    (tmp_path / "persons.csv").unlink()
    other = pid("19550101", 97)
    kid = pid("20050101", 41)
    rows = [
        ("大河村", "王大", HEADS[0], "王大", "是", "户主"),
        ("大河村", "王二", WIVES[0], "王大", "是", "妻"),
        ("大河村", "王小", kid, "王大", "否", "长子"),
        ("大河村", "李四", HEADS[1], "李四", "是", "本人"),
        ("大河村", "王大", HEADS[2], "王大", "是", "户主"),  # a second 王大 of the same village
        ("大河村", "刘芳", WIVES[2], "王大", "是", "妻子"),
        ("小河村", "赵五", other, "赵五", "是", "户主"),  # not on the roll
    ]
    _family_members(tmp_path / "家庭成员信息.xlsx", rows)
    ws = load_workspace(tmp_path)
    p, m = ws.tables["persons"], ws.tables["case_members"]
    assert len(p) == 7
    hh = p.set_index("person_id").household_id
    # the households take the roll's 户号 through the head
    assert hh[WIVES[0]] == "H0" and hh[kid] == "H0" and hh[WIVES[2]] == "H2" and hh[HEADS[1]] == "H1"
    assert hh[other] == other  # not on the roll: keyed by the head's own ID
    assert p.set_index("person_id").relation_to_head[WIVES[2]] == "配偶"
    link = m.set_index("person_id")
    assert link.case_id[kid] == "LB0" and link.enrolled[kid] == "否" and link.case_id[WIVES[2]] == "LB2"
    assert len(m) == 6
    [r] = ws.rejects.itertuples()
    assert r.reason_code == "NO_CASE_FOR_HEAD" and r.row == 10 and r.table == "case_members" and r.column == "户主姓名"
    assert r.person_id == other
    notes = " ".join(ws.warnings)
    assert "按地区、户主姓名和户主所在行归户" in notes and "1个户主姓名在同一地区对应两户以上" in notes


def test_r6_member_listed_before_any_head_of_its_name_goes_to_the_head_below(tmp_path):
    _minimal_register(tmp_path)
    (tmp_path / "persons.csv").unlink()
    rows = [
        ("大河村", "王二", WIVES[0], "王大", "是", "妻"),
        ("大河村", "王大", HEADS[0], "王大", "是", "户主"),
        ("大河村", "刘芳", WIVES[2], "王大", "是", "妻"),
        ("大河村", "王大", HEADS[2], "王大", "是", "户主"),
    ]
    _family_members(tmp_path / "家庭成员信息.xlsx", rows)
    hh = load_workspace(tmp_path).tables["persons"].set_index("person_id").household_id
    assert hh[WIVES[0]] == "H0" and hh[WIVES[2]] == "H0" and hh[HEADS[2]] == "H2"
