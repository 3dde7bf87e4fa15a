"""The vectorised import paths agree with the scalar checks they replace, cell for cell."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.ids import id_check_char, validate_resident_id, validate_resident_ids


def _ids(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        born = f"{rng.randrange(1890, 2030)}{rng.randrange(0, 14):02d}{rng.randrange(0, 33):02d}"
        first17 = f"5227{rng.randrange(10, 99)}{born}{rng.randrange(0, 999):03d}"
        good = first17 + id_check_char(first17)
        form = rng.randrange(8)
        out.append(
            [
                good,
                good.lower(),
                first17 + rng.choice("0123456789X"),  # check digit right or wrong
                good[:6] + good[8:17],  # 15 digits
                " " + good,
                good[:17],
                good + "1",
                "５" + good[1:],
            ][form]
        )
    return out


def test_resident_ids_match_scalar_check_on_every_form():
    rng = random.Random(7)
    values = _ids(rng, 20000) + ["", "X" * 18, "000000000000000000", "522732200002290000", "522732190002290000"]
    ids, why = validate_resident_ids(values)
    for v, i, w in zip(values, ids, why):
        assert (i, w) == validate_resident_id(v), v
    assert sum(w is None for w in why) > 5000 and {"BAD_ID_CHECKSUM", "BAD_ID_BIRTHDATE", "BAD_ID_FORMAT"} <= set(why)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789Xx ５-", min_size=0, max_size=20), max_size=30))
def test_resident_ids_match_scalar_check_on_any_text(values):
    ids, why = validate_resident_ids(values)
    assert [(a, b) for a, b in zip(ids, why)] == [validate_resident_id(v) for v in values]


# ---------------------------------------------------------------- CSV read by Arrow vs row by row
import csv  # noqa: E402
import io  # noqa: E402
import unicodedata  # noqa: E402

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

from audit.load import _normalise_column  # noqa: E402
from audit.sheets import Grid, Header, _arrow_grid, split_body  # noqa: E402

TRICKY = [
    'a,b,c\n1,"x, y",3\n2,"多行\n文本",\n,,\n"合 计",5,6\n',
    "序号\t姓名\t金额\n1\t张三\t300\n2\t李四\t\n",
    "身份证号,姓名,备注\n 522732198001010016 ,\u3000王五\u3000,=1+1\n522732198001010016,x\x1c,\x85\n",
    "a,b\n1,2\n3,4\n制表人：某某,\n",
]


def _rows_by_python(text: str, delim: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delim))


def test_arrow_reader_gives_the_rows_the_row_reader_gives():
    for text in TRICKY:
        delim = "\t" if text.count("\t") > text.count(",") else ","
        g = _arrow_grid(pa.py_buffer(text.encode("utf-8")), delim, "t.csv", "utf-8")
        want = _rows_by_python(text, delim)
        assert g is not None, text
        assert [g.row(i) for i in range(g.height)] == want
        assert list(g.numbers) == list(range(1, len(want) + 1))
        if '"' not in text:  # no quote mark: records split without looking for values spanning lines
            g = _arrow_grid(pa.py_buffer(text.encode("utf-8")), delim, "t.csv", "utf-8", quoted=False)
            assert [g.row(i) for i in range(g.height)] == want


def test_csv_files_read_alike_whichever_reader_takes_them(tmp_path):
    """UTF-8 files go straight to Arrow (which checks the UTF-8); GBK, BOM, CRLF and ragged files are decoded
    and read as before — the same rows and the encoding named either way."""
    from audit.load import read_text
    from audit.sheets import _csv_grid

    text = "身份证号,姓名,金额\n522732198001010016,王五,300\n522732198001010024,李四,\n"
    for data, enc in (
        (text.encode("utf-8"), "utf-8"),
        (text.encode("gbk"), "gb18030"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (("标题\n" + text).encode("utf-8"), "utf-8"),
    ):
        path = tmp_path / "t.csv"
        path.write_bytes(data)
        g = _csv_grid(path, read_text)
        rows = [r for r in (g.row(i) for i in range(g.height)) if any(r)]
        assert rows[-3:] == _rows_by_python(text, ","), enc
        assert g.encoding == enc


def test_arrow_reader_declines_ragged_files():
    for text in ("标题\na,b,c\n1,2,3\n", "a,b\n1,2,3\n", "a,b,c\n1,2\n"):
        assert _arrow_grid(pa.py_buffer(text.encode("utf-8")), ",", "t.csv", "utf-8") is None
    # a blank line is a row of blanks (the row reader's [] padded to the width), numbered like the row reader's
    g = _arrow_grid(pa.py_buffer(b"a,b\n1,2\n\n3,4\n"), ",", "t.csv", "utf-8")
    assert [g.row(i) for i in range(g.height)] == [["a", "b"], ["1", "2"], ["", ""], ["3", "4"]]


def test_body_rows_classified_the_same_on_columns_and_on_rows():
    rows = [
        ["序号", "姓名", "金额"],
        ["1", "2", "3"],  # column-number row
        ["1", "张三", "300"],
        ["", "", ""],
        ["\u3000", " ", ""],
        ["2", "合 计", "300"],  # numbered total line
        ["合计", "", "300"],
        ["3", "王合计", "5"],  # a name with 合计 inside is data
        ["制表人：李", "", ""],
        ["审核", "", ""],
        ["4", "赵六", "9"],
    ]
    header = Header("payments", 0, 1, {"period": [0]}, {"period": "序号"})
    by_rows = split_body(Grid("t", rows, list(range(1, len(rows) + 1))), header)
    cols = [pa.array([r[j] for r in rows], type=pa.string()) for j in range(3)]
    columnar = Grid("t", rows[:2], list(range(1, len(rows) + 1)), "", cols)
    by_cols = split_body(columnar, header)
    assert list(by_cols[0]) == list(by_rows[0]) and by_cols[1] == by_rows[1]
    assert [k for _, k in by_rows[1]] == ["列序号行", "空行", "空行", "合计行", "合计行", "表尾", "表尾"]


CELLS = [
    "",
    " ",
    "\u3000",
    "1",
    "12",
    "123",
    "1234",
    "合计",
    "合 计",
    " 合\u3000计 ",
    "本页合计金额",
    "计",
    "王合计",
    "张三",
    "522732198001010016",
    "制表人：李",
    "备注:无",
    "说明：",
    "审核",
    "300.00",
    "总计（元）",
    "x计y",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(CELLS), min_size=3, max_size=3), min_size=1, max_size=12))
def test_body_rows_from_any_cells_classified_the_same_on_columns_and_on_rows(body):
    """The columnar screen (first cell alone when it is long, the joined row otherwise) never misses a row
    that the row-by-row classification calls structural."""
    rows = [["序号", "姓名", "金额"], *body]
    header = Header("payments", 0, 1, {"period": [0]}, {"period": "序号"})
    by_rows = split_body(Grid("t", rows, list(range(1, len(rows) + 1))), header)
    cols = [pa.array([r[j] for r in rows], type=pa.string()) for j in range(3)]
    by_cols = split_body(Grid("t", rows[:2], list(range(1, len(rows) + 1)), "", cols), header)
    assert list(by_cols[0]) == list(by_rows[0]) and by_cols[1] == by_rows[1]


# every character this Python's Unicode database assigns (Arrow's newer database also normalises code points
# assigned since; by Unicode's stability policy it never decomposes an assigned character differently)
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cn")), max_size=8), max_size=20)
)
def test_cells_normalised_as_python_would(values):
    got = list(_normalise_column(pd.Series(values, dtype=object)))
    want = [unicodedata.normalize("NFKC", v.strip()).strip() for v in values]
    assert got == want


def test_context_isin_agrees_with_pandas_for_every_kind_of_values():
    """context.isin gives pandas' answer for id columns whatever holds the values (a list, a set, Series
    or Index of Arrow or object strings, an Arrow array in several chunks), blanks never matching."""
    import pandas as pd

    from audit.context import isin

    rng = random.Random(3)
    pool = [f"LB{n:04d}" for n in range(60)]
    s = pd.Series([rng.choice(pool) if rng.random() > 0.1 else None for _ in range(500)], dtype="str")
    picked = rng.sample(pool, 20)
    chunked = pd.concat([pd.Series(picked[:7], dtype="str"), pd.Series(picked[7:] + [None], dtype="str")])
    for values in (
        picked,
        set(picked),
        pd.Series(picked, dtype="str"),
        pd.Series(picked, dtype=object),
        pd.Index(picked, dtype="str"),
        chunked,
        chunked.array,
        [],
    ):
        want = s.isin([v for v in values if isinstance(v, str)]) & s.notna()
        assert isin(s, values).tolist() == want.tolist(), type(values)


def test_village_names_are_the_most_common_spelling_as_pandas_mode_gives():
    """AuditContext.villages by integer codes gives what a group-by with Series.mode gives: each village's most
    common name (the first in sort order among equally common ones), its first township, blanks ignored."""
    import numpy as np
    import pandas as pd

    from audit.context import AuditContext

    rng = np.random.default_rng(5)
    n = 20000
    codes = [f"52273200{i:04d}" for i in range(120)] + [None]
    vc = rng.choice(np.array(codes, dtype=object), n)
    # two or three spellings per village, often equally common, and blanks
    nm = [None if x is None else rng.choice([f"{x[-3:]}村", f"{x[-3:]}村委会", f"第{x[-3:]}村", None]) for x in vc]
    tw = [None if rng.random() < 0.02 else f"{rng.integers(4)}镇" for _ in range(n)]
    p = pd.DataFrame(
        {
            "person_id": [f"P{i}" for i in range(n)],
            "village_code": pd.array(vc, dtype="str"),
            "village_name": pd.array(nm, dtype="str"),
            "township": pd.array(tw, dtype="str"),
        }
    )
    v = p.dropna(subset=["village_code"])
    name = v.dropna(subset=["village_name"]).groupby("village_code").village_name.agg(lambda s: s.mode().iloc[0])
    town = v.drop_duplicates("village_code").set_index("village_code").township
    want = pd.DataFrame({"village_name": name, "township": town})
    got = AuditContext({"persons": p}, None, None).villages
    pd.testing.assert_frame_equal(got, want)
    assert (want.village_name.str.startswith("第") | want.village_name.str.endswith("会")).any()  # not always one form


def test_sets_by_is_pandas_group_by_set():
    import pandas as pd

    from audit.context import sets_by

    rng = random.Random(11)
    keys = pd.Series([rng.choice(["LB1", "LB2", "LB3", None]) for _ in range(400)], dtype="str")
    values = pd.Series([rng.choice(["甲", "乙", "丙", "丁"]) for _ in range(400)], dtype="str")
    want = values.groupby(keys).agg(set).to_dict()
    assert sets_by(keys, values) == want and None not in sets_by(keys, values)


def test_birth_dates_and_sexes_from_id_bytes_agree_with_parsing_the_text():
    from audit.ids import id_births_and_sexes

    rng = random.Random(3)
    cells = [unicodedata.normalize("NFKC", v) for v in _ids(rng, 5000)]  # normalised as the import does
    ids = [ok for ok, why in map(validate_resident_id, cells) if why is None]
    ids += ["522732200002290013", "52273219991231002X"]  # 29 February, an X check character
    born, male = id_births_and_sexes(pd.Series(ids, dtype="str"))
    want = pd.to_datetime(pd.Series(ids).str.slice(6, 14), format="%Y%m%d")
    assert list(pd.Series(born.astype("datetime64[us]"))) == list(want)
    assert list(male) == [int(i[16]) % 2 == 1 for i in ids]
    assert id_births_and_sexes(pd.Series(["52273219800101001", None])) is None  # not the shape of checked IDs
