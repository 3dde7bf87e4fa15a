"""Where pages get the audit run and the signed-in user: cached loads, jurisdiction and masking."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import streamlit as st

from audit.auth import LoginPolicy, User, log_access, scope
from audit.ids import mask_id
from audit.results import RunResults, load_results, masked
from audit.store import RunFolderError, open_store, store_tables

_LOG = logging.getLogger("dibao.dashboard")


def run_dir() -> Path:
    """The run folder shown: one chosen on 数据导入 in this session, else the one the server was started on."""
    return Path(st.session_state.get("run_dir") or os.environ.get("DIBAO_RUN_DIR", "out/sample"))


def ledger_path() -> Path:
    return Path(os.environ.get("DIBAO_LEDGER", str(run_dir() / "ledger.sqlite")))


def users_file() -> Path:
    return Path(os.environ.get("DIBAO_USERS", str(Path(os.environ.get("DIBAO_RUN_DIR", "out/sample")) / "users.json")))


@st.cache_resource(show_spinner="正在读取审计结果…")
def _cached(folder: str, stamp: float) -> RunResults:
    return load_results(folder)


@st.cache_resource(show_spinner="正在读取导入的数据…")
def _context(folder: str, stamp: float):
    """The imported tables (from the run's DuckDB store) as an AuditContext, read-only and shared."""
    import datetime as dt

    from audit.context import AuditContext
    from audit.load import REJECT_COLUMNS
    from audit.profile import load_profile

    res = load_results(folder)
    con = open_store(Path(folder), read_only=True)
    tables = store_tables(con)
    con.close()
    return AuditContext(
        tables,
        load_profile(res.run["profile"]["name"]),
        dt.date.fromisoformat(res.run["as_of"]),
        pd.DataFrame(columns=REJECT_COLUMNS),
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _case_tables(folder: str, stamp: float, case_id: str) -> dict[str, pd.DataFrame]:
    """Only one case's rows of every table, read with SQL from the run's store (fast at any county size)."""
    con = open_store(Path(folder), read_only=True)
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    q = lambda sql: con.execute(sql, [case_id]).df()  # noqa: E731
    out = {"cases": q("SELECT * FROM cases WHERE case_id = ?")}
    for name in ("case_members", "workflow", "rechecks", "payments", "votes"):
        if name in have:
            out[name] = q(f'SELECT * FROM "{name}" WHERE case_id = ?')
    members = set(out.get("case_members", pd.DataFrame(columns=["person_id"])).person_id) | set(out["cases"].head_id)
    con.register("_m", pd.DataFrame({"person_id": sorted(members)}))
    out["persons"] = con.execute("SELECT * FROM persons SEMI JOIN _m USING (person_id)").df()
    if "deaths" in have:
        out["deaths"] = con.execute("SELECT * FROM deaths SEMI JOIN _m USING (person_id)").df()
    if "meetings" in have and "votes" in out:
        con.register("_v", out["votes"][["meeting_id"]])
        out["meetings"] = con.execute("SELECT * FROM meetings SEMI JOIN _v USING (meeting_id)").df()
    if "notices" in have:
        out["notices"] = con.execute("SELECT * FROM notices WHERE contains(coalesce(case_ids, ''), ?)", [case_id]).df()
    if "withdrawals" in have and "payments" in out:
        con.register("_a", out["payments"][["account_no"]].drop_duplicates())
        out["withdrawals"] = con.execute("SELECT * FROM withdrawals SEMI JOIN _a USING (account_no)").df()
    con.close()
    return out


def case_context(case_id: str):
    """An AuditContext holding one case's rows only (for the case page)."""
    import datetime as dt

    from audit.context import AuditContext
    from audit.load import REJECT_COLUMNS
    from audit.profile import load_profile

    res = current()
    tables = _case_tables(str(run_dir()), (run_dir() / "run.json").stat().st_mtime, case_id)
    return AuditContext(
        tables,
        load_profile(res.run["profile"]["name"]),
        dt.date.fromisoformat(res.run["as_of"]),
        pd.DataFrame(columns=REJECT_COLUMNS),
    )


@st.cache_data(show_spinner=False)
def case_list(folder: str, stamp: float) -> pd.DataFrame:
    con = open_store(Path(folder), read_only=True)
    out = con.execute("SELECT case_id, township, village_code FROM cases").df()
    con.close()
    return out


def session_expired(now: float | None = None) -> str | None:
    """Why the signed-in session has expired (idle or too long), else None; marks it as used."""
    pol = LoginPolicy.from_env()
    now = time.time() if now is None else now
    seen = st.session_state.get("seen_at", now)
    start = st.session_state.get("login_at", now)
    if now - seen > pol.idle_minutes * 60:
        return f"超过{pol.idle_minutes}分钟未操作"
    if now - start > pol.max_session_hours * 3600:
        return f"登录已超过{pol.max_session_hours}小时"
    st.session_state["seen_at"] = now
    st.session_state.setdefault("login_at", now)
    return None


def hide_table_downloads() -> None:
    """The table toolbar's "download as CSV" bypasses masking scope and the access log: every export goes
    through :func:`download` instead."""
    st.html(
        "<style>[data-testid='stElementToolbar'] button[aria-label*='ownload'],"
        "[data-testid='stElementToolbar'] button[title*='ownload'],"
        "[data-testid='stElementToolbarButton']:has(svg[data-testid*='ownload'])"
        "{display:none !important}</style>"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def md(text: object) -> str:
    """Text from input files or users, escaped for st.markdown/caption/info: shown as written, never as a
    link, an image, emphasis, a colour directive or a formula."""
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


def download(
    label: str,
    make: Callable[[], tuple[bytes, int]],
    file_name: str,
    *,
    key: str | None = None,
    where=None,
    mime: str | None = None,
) -> None:
    """An export button for users who may export: the file is built only when clicked, served once to this
    session (no standing link), and logged with who, which file and how many rows."""
    u = user()
    if u is None or not u.can_export:
        return
    folder = run_dir()

    def build() -> bytes:
        blob, rows = make()
        log_access(folder, u, "export", file_name, rows=rows)
        return blob

    (where or st).download_button(label, build, file_name, mime=mime, key=key or f"dl-{file_name}", on_click="ignore")


def user() -> User | None:
    return st.session_state.get("user")


def current() -> RunResults:
    """The run shown; a missing, damaged or half-written run is a Chinese message and the page stops."""
    run_json = run_dir() / "run.json"
    try:  # load_results checks the run is complete (audit.store.read_run) whenever run.json changes
        return _cached(str(run_dir()), run_json.stat().st_mtime)
    except FileNotFoundError:
        st.error("没有找到审计结果。请在“数据导入”页上传数据，或由管理员运行 dibao-audit run 生成结果。")
    except RunFolderError as exc:
        st.error(str(exc))
    except Exception as exc:  # never a traceback or a server path on screen: logged instead
        _LOG.exception("reading the run folder failed: %s", type(exc).__name__)
        st.error("审计结果无法读取（文件可能已损坏）。请重新运行审计；问题已记入服务器日志。")
    st.stop()


def context():
    return _context(str(run_dir()), (run_dir() / "run.json").stat().st_mtime)


def findings() -> pd.DataFrame:
    """The user's findings: own jurisdiction only."""
    res, u = current(), user()
    return scope(res.findings, u) if res is not None and u is not None else pd.DataFrame()


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Mask personal numbers unless the user may see them."""
    u = user()
    return masked(frame, full_view=bool(u and u.full_view))


def audit(action: str, target: str = "") -> None:
    u = user()
    if u is not None:
        log_access(run_dir(), u, action, target)


def _officials() -> pd.DataFrame:
    return _officials_of(str(run_dir()), (run_dir() / "run.json").stat().st_mtime)


@st.cache_resource(show_spinner=False)
def _officials_of(folder: str, stamp: float) -> pd.DataFrame:
    """One row per official (person_id) in the officials table's order, with name, role and village name;
    built once per run (labels and URL keys are asked for once per clue and per drop-down option)."""
    ctx = _context(folder, stamp)
    off = ctx.table("officials").drop_duplicates("person_id").reset_index(drop=True)
    names = ctx.table("persons").drop_duplicates("person_id").set_index("person_id").name
    return off.assign(
        key=[f"g{i + 1}" for i in range(len(off))],
        name=off.person_id.map(names),
        village=off.village_code.map(ctx.villages.village_name) if "village_code" in off else None,
    )


def official_key(person_id: str) -> str | None:
    """A short key for an official in URLs (?official=g12) — never the ID number itself."""
    off = _officials()
    hit = off[off.person_id == person_id]
    return hit.key.iloc[0] if len(hit) else None


def official_from_key(key: str | None) -> str | None:
    off = _officials()
    hit = off[off.key == key]
    return hit.person_id.iloc[0] if key and len(hit) else None


def official_label(person_id: str) -> str:
    """王某某（村民小组长，新岩社区） — name and role (masked per role), and the place, so that two
    officials with the same surname and role are told apart; the full name for full-view users."""
    off = _officials().set_index("person_id")
    if person_id not in off.index:
        return mask_id(person_id)
    r = off.loc[person_id]
    u = user()
    name = str(r["name"]) if isinstance(r["name"], str) else ""
    shown = name if u is not None and u.full_view else (name[:1] + "某某" if name else "某某")
    where = "，".join(
        x for x in (r.role, r.village if isinstance(r.village, str) else r.township) if isinstance(x, str)
    )
    return f"{shown}（{where}）"


def profile_title(name: str) -> str:
    """A profile by the notice it follows (三都水族自治县城乡低保专项治理及年度核查工作方案), not its file name."""
    from audit.errors import ProfileError
    from audit.profile import load_profile

    try:
        return load_profile(name).title or name
    except ProfileError:
        return name


def table_zh(name: str) -> str:
    """An input table by its Chinese name (发放记录), as the data contract calls it."""
    from audit.schema import TABLES

    spec = TABLES.get(name)
    return spec.zh[0] if spec else name


SESSION_COOKIE = "dibao_session"


def session_store():
    from audit.auth import SessionStore

    return SessionStore(users_file())


def resume_session() -> User | None:
    """A browser reload starts a new Streamlit session: sign the user back in from the session cookie while
    the server-side session is alive (idle and maximum age as LoginPolicy says); the role comes from the
    users file as it is now."""
    from audit.auth import user_named

    token = st.context.cookies.get(SESSION_COOKIE)
    got = session_store().resume(token)
    if got is None:
        return None
    u = user_named(users_file(), got[0])
    if u is None:
        return None
    st.session_state["user"] = u
    st.session_state["login_at"], st.session_state["seen_at"] = got[1], time.time()
    log_access(run_dir(), u, "session_resumed")
    return u


def _cookie_script(value: str, max_age: int) -> None:
    # the token is ours (secrets.token_urlsafe: letters, digits, - and _), never text from a file
    st.html(
        f"<script>document.cookie = '{SESSION_COOKIE}={value}; path=/; max-age={max_age}; SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def set_session_cookie(token: str) -> None:
    if re.fullmatch(r"[\w-]+", token):
        _cookie_script(token, LoginPolicy.from_env().max_session_hours * 3600)


def forget_session_cookie() -> None:
    _cookie_script("", 0)


def ledger_entry_form(led, e, fid: str, folded: bool = True) -> None:
    """A clue's ledger entry (``e``, a row of Ledger.frame()), editable in place — status, assignee, due date,
    note, 不属实 reason — after a confirmation tick; read-only users see it only. Used by 案件详情 (folded
    under the clue) and 整改台账."""
    import datetime as dt

    from audit.ledger import DISMISSAL_REASONS, STATUSES

    summary = f"台账：{e.status}" + (f"；承办人 {e.assignee}" if isinstance(e.assignee, str) and e.assignee else "")
    summary += f"；期限 {e.due_date}" if isinstance(e.due_date, str) and e.due_date else ""
    summary += f"；备注：{e.note}" if isinstance(e.note, str) and e.note else ""
    if user().role == "readonly":
        st.caption(md(summary))
        return
    box = st.expander(md(summary) + "（点击修改）") if folded else st.container()
    with box:
        with st.form(f"ledger-{fid}"):
            status = st.selectbox("状态", STATUSES, index=STATUSES.index(e.status) if e.status in STATUSES else 0)
            assignee = st.text_input("承办人", value=e.assignee if isinstance(e.assignee, str) else "")
            due_old = dt.date.fromisoformat(e.due_date) if isinstance(e.due_date, str) and e.due_date else None
            due = st.date_input("办结期限", value=due_old, format="YYYY-MM-DD")
            note = st.text_input("备注", value=e.note if isinstance(e.note, str) else "")
            reason = st.selectbox("不属实原因（状态为不属实时必填）", ("",) + DISMISSAL_REASONS)
            sure = st.checkbox("我已核对以上内容，确认修改台账")
            if st.form_submit_button("保存到台账"):
                if not sure:
                    st.warning("请先勾选“确认修改台账”。")
                    return
                try:
                    led.set(
                        fid,
                        user().username,
                        status=status,
                        assignee=assignee or None,
                        due_date=due.isoformat() if due else None,
                        note=note or None,
                        dismissal_reason=reason or None,
                    )
                except Exception as exc:  # a Chinese message from the ledger (e.g. 不属实 without a reason)
                    st.error(str(exc))
                    return
                audit("ledger_set", f"{fid} → {status}")
                st.success(f"已保存：{status}。")
                st.rerun()


def clue_table(frame: pd.DataFrame, columns: list[str]) -> None:
    """Clues as a table in Chinese: masked per role, 高/中/低, Chinese headers, blanks for missing values."""
    from audit.results import COLUMNS_ZH, SEVERITY_ZH

    st.dataframe(
        shown(frame)[columns]
        .assign(severity=lambda d: d.severity.map(SEVERITY_ZH))
        .rename(columns=COLUMNS_ZH)
        .fillna(""),
        hide_index=True,
        width="stretch",
    )
