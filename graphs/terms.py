"""Chinese kinship terms and statutory categories for a path pattern, sex- and age-aware.

A pattern is the chain of base steps from the official (x) to the relative (y):
U = to a parent, D = to a child, S = to a spouse. Intermediate nodes are n1, n2, n3.

Examples
--------
>>> term("UUDD", x_sex="男", n1_sex="男", n3_sex="男", y_sex="男", y_older_than_x=True)
'堂兄'
>>> term("SU", n1_sex="女", y_sex="男")
'岳父'
>>> category("UD"), category("UU", n1_sex="女")
('兄弟姐妹', '外祖父母')
"""

from __future__ import annotations

__all__ = ["PATTERNS", "CATEGORIES_002", "CATEGORIES_CIVIL_CODE", "term", "category", "DEGREE", "LINEAL"]

# pattern -> (degree, lineal)
PATTERNS = {
    "S": (1, True),
    "U": (1, True),
    "D": (1, True),
    "UD": (2, False),
    "UU": (2, True),
    "DD": (2, True),
    "SU": (2, False),
    "DS": (2, False),
    "UUD": (3, False),
    "UDD": (3, False),
    "SUD": (3, False),
    "DSU": (3, False),
    "UUDD": (4, False),
    "SUDS": (4, False),
}
DEGREE = {p: d for p, (d, _) in PATTERNS.items()}
LINEAL = {p for p, (_, lin) in PATTERNS.items() if lin}

CATEGORIES_002 = (
    "配偶",
    "父母",
    "子女",
    "兄弟姐妹",
    "祖父母",
    "外祖父母",
    "孙子女",
    "外孙子女",
    "伯叔姑舅姨",
    "堂兄弟姐妹",
    "表兄弟姐妹",
    "侄子女",
    "甥子女",
    "配偶的父母",
    "配偶的兄弟姐妹及其配偶",
    "子女的配偶及其父母",
)
CATEGORIES_CIVIL_CODE = ("配偶", "父母", "子女", "兄弟姐妹", "祖父母", "外祖父母", "孙子女", "外孙子女")


def _older(flag: bool | None, older: str, younger: str, unknown: str) -> str:
    return unknown if flag is None else (older if flag else younger)


def category(pattern: str, *, n1_sex: str | None = None, n2_sex: str | None = None, n3_sex: str | None = None) -> str:
    """The statutory category (notice 002's list) a path pattern belongs to."""
    male1, male2 = n1_sex == "男", n2_sex == "男"
    return {
        "S": "配偶",
        "U": "父母",
        "D": "子女",
        "UD": "兄弟姐妹",
        "UU": "祖父母" if male1 else "外祖父母",
        "DD": "孙子女" if male1 else "外孙子女",
        "UUD": "伯叔姑舅姨",
        "UUDD": "堂兄弟姐妹" if (male1 and n3_sex == "男") else "表兄弟姐妹",
        "UDD": "侄子女" if male2 else "甥子女",
        "SU": "配偶的父母",
        "SUD": "配偶的兄弟姐妹及其配偶",
        "SUDS": "配偶的兄弟姐妹及其配偶",
        "DS": "子女的配偶及其父母",
        "DSU": "子女的配偶及其父母",
    }[pattern]


def term(
    pattern: str,
    *,
    x_sex: str | None = None,
    n1_sex: str | None = None,
    n2_sex: str | None = None,
    n3_sex: str | None = None,
    y_sex: str | None = None,
    y_older_than_x: bool | None = None,
    y_older_than_n1: bool | None = None,
    y_older_than_spouse: bool | None = None,
    n3_older_than_n1: bool | None = None,
) -> str:
    """The term the official (x) uses for the relative (y)."""
    m = y_sex == "男"
    if pattern == "S":
        return "丈夫" if m else "妻子"
    if pattern == "U":
        return "父亲" if m else "母亲"
    if pattern == "D":
        return "儿子" if m else "女儿"
    if pattern == "UD":
        return _older(y_older_than_x, "哥哥", "弟弟", "兄弟") if m else _older(y_older_than_x, "姐姐", "妹妹", "姐妹")
    if pattern == "UU":
        return ("祖父" if m else "祖母") if n1_sex == "男" else ("外祖父" if m else "外祖母")
    if pattern == "DD":
        return ("孙子" if m else "孙女") if n1_sex == "男" else ("外孙" if m else "外孙女")
    if pattern == "UUD":
        if n1_sex == "男":
            return _older(y_older_than_n1, "伯父", "叔父", "伯叔") if m else "姑妈"
        return "舅舅" if m else "姨妈"
    if pattern == "UUDD":
        p = "堂" if (n1_sex == "男" and n3_sex == "男") else "表"
        if p == "堂":
            return (
                _older(y_older_than_x, "堂兄", "堂弟", "堂兄弟")
                if m
                else _older(y_older_than_x, "堂姐", "堂妹", "堂姐妹")
            )
        return (
            _older(y_older_than_x, "表哥", "表弟", "表兄弟") if m else _older(y_older_than_x, "表姐", "表妹", "表姐妹")
        )
    if pattern == "UDD":
        return ("侄子" if m else "侄女") if n2_sex == "男" else ("外甥" if m else "外甥女")
    if pattern == "SU":
        return ("岳父" if m else "岳母") if n1_sex == "女" else ("公公" if m else "婆婆")
    if pattern == "SUD":
        if n1_sex == "女":
            return (
                _older(y_older_than_spouse, "内兄", "内弟", "内兄弟")
                if m
                else _older(y_older_than_spouse, "大姨子", "小姨子", "妻子的姐妹")
            )
        return (
            _older(y_older_than_spouse, "大伯子", "小叔子", "丈夫的兄弟")
            if m
            else _older(y_older_than_spouse, "大姑子", "小姑子", "丈夫的姐妹")
        )
    if pattern == "SUDS":
        if n1_sex == "女":
            return "连襟" if n3_sex == "女" else _older(n3_older_than_n1, "内嫂", "内弟媳", "妻子的兄弟媳妇")
        return "妯娌" if n3_sex == "男" else _older(n3_older_than_n1, "大姑子的丈夫", "小姑子的丈夫", "丈夫的姐妹夫")
    if pattern == "DS":
        return "儿媳" if n1_sex == "男" else "女婿"
    if pattern == "DSU":
        return "亲家公" if m else "亲家母"
    raise ValueError(f"unknown kinship pattern {pattern!r}")
