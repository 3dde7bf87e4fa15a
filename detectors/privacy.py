"""PRIV family: personal data exposed in public notices (PRIV-01)."""

from __future__ import annotations

import re
from typing import Iterator

from audit.context import AuditContext, rows
from audit.ids import luhn_valid, mask_account, mask_id, mask_phone, validate_resident_id
from detectors.base import Finding, Severity, detector

__all__ = ["exposed_in_notice", "scan_text"]

_DIGITS = re.compile(r"(?<![\d*])(\d{17}[\dXx]|\d{11,19})(?![\d*Xx])")


def scan_text(text: str) -> list[tuple[str, str]]:
    """(kind, value) for every unmasked resident ID, bank card (Luhn) or mobile number in ``text``.

    >>> scan_text("张某 5227**********12；李某 身份证号522732198001010016，电话13912345678")
    [('id', '522732198001010016'), ('phone', '13912345678')]
    """
    found = []
    for m in _DIGITS.finditer(text if isinstance(text, str) else ""):
        s = m.group(1)
        if len(s) == 18 and validate_resident_id(s)[1] is None:
            found.append(("id", s.upper()))
        elif 16 <= len(s) <= 19 and luhn_valid(s):
            found.append(("account", s))
        elif len(s) == 11 and re.fullmatch(r"1[3-9]\d{9}", s):
            found.append(("phone", s))
    return found


@detector(
    "PRIV-01",
    severity=Severity.MEDIUM,
    requires=("notices",),
    params=(),
    explain_zh="{stage}公示中出现未脱敏的{kind_zh}{masked}",
)
def exposed_in_notice(ctx: AuditContext) -> Iterator[Finding]:
    """A public notice exposes an unmasked ID number, bank account number or mobile number.

    公示依法保护个人隐私，严防公示对象身份证号、银行账号、电话号码等信息泄露。已脱敏的（如5227**********12）不报。
    Evidence: stage, start, end, kind, masked value, ref (notices row).
    Profile parameters: none.
    """
    towns = (
        ctx.table("persons")[["village_code", "township"]]
        .drop_duplicates("village_code")
        .set_index("village_code")
        .township
        if "persons" in ctx.tables
        else {}
    )
    names = {"id": "身份证号", "account": "银行账号", "phone": "手机号"}
    maskers = {"id": mask_id, "account": mask_account, "phone": mask_phone}
    for r in rows(ctx.table("notices")):
        for kind, value in scan_text(r.text):
            shown = maskers[kind](value)
            ev = {
                "stage": r.stage,
                "start": f"{r.start_date:%Y-%m-%d}",
                "end": f"{r.end_date:%Y-%m-%d}",
                "kind": kind,
                "kind_zh": names[kind],
                "masked": shown,
                "ref": f"notices:{int(r.src_row)}",
                "case_ids": r.case_ids,
            }
            yield Finding(
                rule="PRIV-01",
                severity=Severity.MEDIUM,
                village_code=r.village_code,
                township=towns.get(r.village_code),
                person_id=value if kind == "id" else None,
                account_no=value if kind == "account" else None,
                key_extra=f"{r.src_row}:{kind}:{shown}",
                evidence=ev,
                explanation=f"{r.stage}公示（{r.start_date:%Y-%m-%d}起）中出现未脱敏的"
                f"{names[kind]}{shown}，违反公示隐私保护要求。",
            )
