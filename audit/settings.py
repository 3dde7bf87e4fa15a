"""County document settings (县设置): who issues the self-audit report and the 交办单, their 文号, the
成文日期. Read from a YAML file with Chinese keys beside the run folders; written once with defaults
taken from the data (the county's name in the register) or with the user's answers.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from audit.errors import AuditError
from audit.store import atomic_write

__all__ = ["DocSettings", "settings_path", "load_settings", "ensure_settings", "KEYS_ZH"]

FILE_NAME = "县设置.yaml"

# field -> (the key users see in the file, what it is, shown when asking)
KEYS_ZH = {
    "county": ("县名", "县（市、区）名称"),
    "issuer": ("发文机关", "自查报告的发文机关署名"),
    "mark": ("发文机关标志", "红头上的发文机关标志（如“某某县民政局文件”；留空则不加红头）"),
    "report_number": ("自查报告文号", "如 三民发〔2025〕12号；留空则不标文号"),
    "signed_date": ("成文日期", "YYYY-MM-DD；留空则用核查基准日"),
    "packet_issuer": ("交办单位", "交办单的交办单位（如县纪委监委或县民政局）"),
    "packet_prefix": ("交办单编号前缀", "如 三纪交〔2025〕；留空则用线索编号"),
}


@dataclass(frozen=True)
class DocSettings:
    county: str = ""
    issuer: str = ""
    mark: str = ""
    report_number: str = ""
    signed_date: str = ""
    packet_issuer: str = ""
    packet_prefix: str = ""

    def date_for(self, as_of: str) -> dt.date:
        """成文日期: the date set here, else the run's reference date."""
        return dt.date.fromisoformat(self.signed_date or as_of)

    @classmethod
    def defaults(cls, county: str) -> DocSettings:
        county = county or "本县"
        return cls(county, f"{county}民政局", f"{county}民政局", "", "", f"{county}民政局", "")


def settings_path(run_dir: str | Path) -> Path:
    """DIBAO_SETTINGS, else 县设置.yaml in the folder that holds the run folders (one county, many runs)."""
    env = os.environ.get("DIBAO_SETTINGS")
    return Path(env) if env else Path(run_dir).resolve().parent / FILE_NAME


def load_settings(path: Path, county: str = "") -> DocSettings:
    """The settings in ``path``; missing keys take the defaults for ``county``.

    Raises
    ------
    AuditError
        The file is not YAML, not a mapping, or 成文日期 is not a date — naming the file and key.
    """
    base = DocSettings.defaults(county)
    if not path.exists():
        return base
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AuditError(f"县设置文件 {path} 无法读取：{str(exc).splitlines()[0]}。请按“键: 值”逐行填写。") from None
    if not isinstance(raw, dict):
        raise AuditError(f"县设置文件 {path} 的格式不对：应为“键: 值”逐行填写。")
    values = {}
    for field, (key, _) in KEYS_ZH.items():
        v = raw.get(key)
        values[field] = getattr(base, field) if v is None else str(v).strip()
    if values["signed_date"]:
        try:
            dt.date.fromisoformat(values["signed_date"])
        except ValueError:
            raise AuditError(
                f"县设置文件 {path}：“成文日期”应为 YYYY-MM-DD 格式的日期，现为“{values['signed_date']}”。"
            ) from None
    return DocSettings(**values)


def _dump(s: DocSettings) -> str:
    lines = ["# 县设置：自查报告和交办单的发文机关、文号与日期。修改后重新运行 dibao-audit report / packet 即可。"]
    for field, (key, what) in KEYS_ZH.items():
        lines.append(f"# {what}")
        lines.append(
            f"{key}: {yaml.safe_dump(getattr(s, field), allow_unicode=True).strip().removesuffix('...').strip()}"
        )
    return "\n".join(lines) + "\n"


def ensure_settings(path: Path, county: str = "", ask: bool | None = None) -> tuple[DocSettings, str]:
    """Read the settings, or create the file once: asking on a terminal, else from the data's defaults.

    Returns the settings and a Chinese line to print when the file was just created ('' otherwise).
    """
    if path.exists():
        return load_settings(path, county), ""
    s = DocSettings.defaults(county)
    ask = sys.stdin.isatty() if ask is None else ask
    if ask:
        print("首次生成公文，请填写县设置（直接回车使用方括号中的默认值）：", file=sys.stderr)
        answers = {}
        for field, (key, what) in KEYS_ZH.items():
            got = input(f"{key}（{what}）[{getattr(s, field)}]：").strip()
            answers[field] = got or getattr(s, field)
        s = DocSettings(**answers)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: tmp.write_text(_dump(s), encoding="utf-8"))
        s = load_settings(path, county)  # validated like a hand-edited file
        return s, f"已保存县设置到 {path}。"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_text(_dump(s), encoding="utf-8"))
    return s, (
        f"未找到县设置，已按数据中的县名生成 {path}（发文机关：{s.issuer}；未设文号；成文日期用核查基准日）。"
        f"如需修改发文机关、文号或日期，编辑该文件后重新生成。"
    )
