import datetime as dt

import pytest

from audit.ids import luhn_valid, mask_account, mask_id, mask_phone, upgrade_id15, uscc_valid, validate_resident_id
from audit.parse import norm_header, parse_date, parse_money, parse_month, parse_time
from tests.factory import pid


@pytest.mark.parametrize(
    "raw",
    [
        "2021-03-10",
        "2021/3/10",
        "20210310",
        "2021年3月10日",
        "2021.03.10",
        "44265",
        "２０２１－０３－１０",
        " 2021-03-10 00:00:00 ",
    ],
)
def test_every_contract_date_form(raw):
    assert parse_date(raw) == dt.date(2021, 3, 10)


@pytest.mark.parametrize("raw", ["2021-02-30", "2021-13-01", "昨天", "2021年3月", "123"])
def test_bad_dates_are_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw", ["2021-03", "202103", "2021年3月", "2021-03-15"])
def test_months(raw):
    assert parse_month(raw) == dt.date(2021, 3, 1)


def test_timestamps_and_excel_fraction():
    assert parse_time("2024-03-10 09:05") == dt.datetime(2024, 3, 10, 9, 5)
    assert parse_time("2024年3月10日 09:05:30") == dt.datetime(2024, 3, 10, 9, 5, 30)
    assert parse_time("45361.5") == dt.datetime(2024, 3, 10, 12, 0)


@pytest.mark.parametrize("raw,value", [("1,234.50元", 1234.5), ("¥359", 359.0), ("６２５", 625.0), ("￥1,000", 1000.0)])
def test_money(raw, value):
    assert parse_money(raw) == value


def test_money_rejects_text():
    assert parse_money("三百元") is None


def test_header_normalisation_ignores_width_spaces_and_brackets():
    assert norm_header(" 村（社区）代码 ") == norm_header("村(社区)代码")


def test_resident_id_checks():
    good = pid("19800101", 1)
    assert validate_resident_id(good) == (good, None)
    assert validate_resident_id(good[:17] + ("0" if good[17] != "0" else "1"))[1] == "BAD_ID_CHECKSUM"
    assert validate_resident_id("52273219800231001X")[1] in ("BAD_ID_BIRTHDATE", "BAD_ID_CHECKSUM")
    assert validate_resident_id("12345")[1] == "BAD_ID_FORMAT"


def test_lowercase_x_and_15_digit_upgrade():
    first17 = "11010519491231002"
    assert validate_resident_id(first17 + "x") == (first17 + "X", None)  # GB 11643 example
    assert upgrade_id15("110105491231002") == "11010519491231002X"


def test_uscc_and_luhn():
    assert uscc_valid("91350100M000100Y43")
    assert not uscc_valid("91350100M000100Y44")
    assert luhn_valid("4539578763621486") and not luhn_valid("4539578763621487")


def test_masks_keep_only_what_identifies_nobody():
    assert mask_id("522732198001010016") == "522732********0016"
    assert mask_account("6217990000000000123") == "6217***********0123"
    assert mask_phone("13912345678") == "139****5678"
