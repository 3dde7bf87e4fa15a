"""Synthetic county generator: a realistic, clean-by-construction county plus planted anomalies.

``dibao-audit generate --residents N --seed S --out DIR [--profile P] [--anomaly-rate R] [--messy]``
writes one file per table of the data contract and ``truth.csv`` (rule + keys of every planted
violation). The background follows the profile's rules (awards by the top-up formula, rechecks
on time, appraisal meetings with quorum, notices long enough, officials' kin never on the roll),
so every finding on it is a false positive; plants are then added for every rule code.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from audit.catalogue import catalogue
from audit.ids import id_check_char, luhn_valid
from audit.profile import load_profile
from data.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES

__all__ = ["generate", "County", "TRUTH_COLUMNS"]

REGION = "522732"  # 三都水族自治县
COUNTY = "三都水族自治县"
ACCOUNT_BLOCK = ""  # a province's counties number their cards in blocks of their own (generate_province)
AS_OF = dt.date(2024, 12, 31)
PAY_START = dt.date(2024, 1, 1)
TOWNS = ("三合街道", "大河镇", "普安镇", "都江镇", "中和镇", "周覃镇", "九阡镇")
VILLAGE_SYLL = "阳光红岩新合平安团结丰乐和谐民主水龙江口坝寨塘坡田湾岭营桥溪河"
TRUTH_COLUMNS = [
    "rule",
    "case_id",
    "person_id",
    "official_id",
    "account_no",
    "meeting_id",
    "village_code",
    "household_id",
    "ref",
    "detail",
    "optional",
]
STEPS = ("申请", "受理", "入户调查", "信息核对", "民主评议", "乡镇审核", "县级审批/审核确认")


def add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, 28))


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


class Rows:
    """Column-wise table builder (cheap at a million rows)."""

    def __init__(self, *cols: str):
        self.cols = cols
        self.data: dict[str, list] = {c: [] for c in cols}

    def add(self, **kw) -> int:
        for c in self.cols:
            self.data[c].append(kw.get(c))
        return len(self.data[self.cols[0]]) - 1

    def __len__(self) -> int:
        return len(self.data[self.cols[0]])

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.data, columns=list(self.cols))


class Person:
    __slots__ = (
        "pid",
        "name",
        "sex",
        "birth",
        "hh",
        "rel",
        "unit",
        "village",
        "phone",
        "disability",
        "illness",
        "labour",
        "role",
        "death",
        "row",
    )

    def __init__(self, pid, name, sex, birth, hh, rel, unit, village):
        self.pid, self.name, self.sex, self.birth, self.hh, self.rel = pid, name, sex, birth, hh, rel
        self.unit, self.village = unit, village
        self.phone = self.disability = self.illness = self.labour = self.role = self.death = None
        self.row = -1

    def age(self, at: dt.date = AS_OF) -> int:
        return at.year - self.birth.year - ((at.month, at.day) < (self.birth.month, self.birth.day))


@dataclass
class Household:
    hid: str
    village: "Village"
    unit: "Unit"
    members: list[Person] = field(default_factory=list)
    split_date: dt.date | None = None
    origin: str = "elder"  # elder | son | daughter | inlaw | split

    @property
    def head(self) -> Person:
        return self.members[0]


@dataclass
class Unit:
    """A kin component: an elder household, its children's households and in-law households."""

    uid: int
    village: "Village"
    households: list[Household] = field(default_factory=list)
    kind: str = "plain"  # plain | official | beneficiary


@dataclass
class Village:
    code: str
    name: str
    town: "Town"
    groups: int
    units: list[Unit] = field(default_factory=list)
    officials: list[Person] = field(default_factory=list)
    panel: list[tuple[Person, str, str]] = field(default_factory=list)  # appraisal group
    terminal: str = ""
    collective_account: str = ""


@dataclass
class Town:
    name: str
    code: str
    urban: bool
    villages: list[Village] = field(default_factory=list)
    staff: list[Person] = field(default_factory=list)


@dataclass
class Case:
    case_id: str
    hh: Household
    members: list[tuple[Person, bool]]
    benefit_type: str
    income: float
    standard: float
    amount: float
    addon: float
    addon_reasons: str
    app_date: dt.date
    approval_date: dt.date
    approval_level: str
    labour_unstable: bool
    single_route: bool
    account: str
    status: str = "在保"
    exit_date: dt.date | None = None
    exit_reason: str | None = None
    ge_start: dt.date | None = None
    ge_reason: str | None = None
    steps: dict[str, tuple[dt.date, str | None]] = field(default_factory=dict)
    rechecks: list[tuple[dt.date, str]] = field(default_factory=list)
    pay_override: dict[dt.date, float] = field(default_factory=dict)
    extra_pay_months: list[dt.date] = field(default_factory=list)
    custom_withdrawals: bool = False
    batch: "Batch | None" = None
    no_vote: bool = False

    @property
    def enrolled(self) -> list[Person]:
        return [p for p, e in self.members if e]

    @property
    def village(self) -> Village:
        return self.hh.village


@dataclass
class Batch:
    """One appraisal meeting of a village with the cases it voted on and their notices."""

    meeting_id: str
    village: Village
    date: dt.date
    members_total: int
    attendees: list[tuple[Person, str, str]]
    cases: list[Case] = field(default_factory=list)
    votes: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)
    notices: list[list] = field(default_factory=list)  # [stage, start, end, case_ids, text]
    start_time: str = "09:00"
    end_time: str = "11:30"


class County:
    """Builds the clean county, then plants anomalies; ``write`` serialises it."""

    def __init__(self, residents: int, seed: int, profile: str = "sandu-2021", anomaly_rate: float = 0.03):
        self.rng = random.Random(seed)
        self.prof = load_profile(profile)
        self.residents, self.anomaly_rate = residents, anomaly_rate
        self.persons: list[Person] = []
        self.towns: list[Town] = []
        self.cases: list[Case] = []
        self.batches: list[Batch] = []
        self.relations = Rows("person_id", "relative_id", "relation", "source")
        self.officials = Rows(
            "person_id", "name", "role", "level", "village_code", "township", "start_date", "end_date"
        )
        self.filings = Rows("official_id", "relative_id", "filed_date", "case_id")
        self.accounts = Rows(
            "account_no", "holder_id", "holder_name", "holder_type", "bank", "reserved_phone", "opened_date"
        )
        self.extra_withdrawals = Rows(
            "account_no", "time", "amount", "direction", "channel", "terminal_id", "operator_id", "counterparty_account"
        )
        self.x = {
            name: Rows(*cols)
            for name, cols in {
                "vehicles": ("person_id", "plate", "vehicle_type", "registered_date", "deregistered_date"),
                "businesses": (
                    "person_id",
                    "role",
                    "entity_name",
                    "registered_capital",
                    "employees",
                    "start_date",
                    "end_date",
                ),
                "properties": ("person_id", "property_type", "area", "purchase_date"),
                "salaried": ("person_id", "employer", "employer_type", "start_date", "end_date", "monthly_salary"),
                "deaths": ("person_id", "death_date", "source"),
                "detentions": ("person_id", "start_date", "end_date"),
                "insurance": ("person_id", "product", "start_date", "annual_premium"),
                "assets": ("person_id", "as_of_date", "amount"),
                "other_rolls": ("person_id", "program", "county", "start_date", "end_date"),
                "travel": ("person_id", "date", "mode"),
                "applications": (
                    "application_id",
                    "household_id",
                    "applicant_id",
                    "application_date",
                    "decision",
                    "decision_date",
                    "reason",
                    "case_id",
                ),
                "monitoring": (
                    "household_id",
                    "person_id",
                    "monitor_type",
                    "identified_date",
                    "risk",
                    "per_capita_income",
                    "risk_status",
                    "removed_date",
                ),
                "income_checks": (
                    "household_id",
                    "check_date",
                    "per_capita_income",
                    "financial_assets",
                    "result",
                    "source",
                ),
            }.items()
        }
        self.extra_workflow: list[dict] = []
        self.app_seq = 0
        self.no_application: set[str] = set()  # cases whose application row a plant writes itself
        self.truth = Rows(*TRUTH_COLUMNS)
        self.raw_rows: dict[str, list[dict]] = {}  # malformed rows appended at write time
        self.extra_payments: list[dict] = []
        self.extra_members: list[dict] = []
        self.extra_votes: list[dict] = []
        self.id_seq: dict[str, int] = {}
        self.acct_index: dict[str, int] = {}
        self.case_hids: set[str] = set()
        self.slots: dict[tuple[str, dt.date], int] = {}
        self.birth_override: dict[str, str] = {}
        self.used_people: set[str] = set()
        self.used_villages: set[str] = set()
        self.acct_seq = 0
        self.used_cases: set[str] = set()
        self.std_urban = self.prof.get("standard_urban_monthly") or 625.0
        self.std_rural = self.prof.get("standard_rural_monthly") or 359.0

    # ------------------------------------------------------------ primitives
    def new_id(self, birth: dt.date, sex: str) -> str:
        key = birth.strftime("%Y%m%d")
        n = self.id_seq.get(key, 0) + 1
        if (n % 2 == 1) != (sex == "男"):
            n += 1
        self.id_seq[key] = n
        first17 = f"{REGION}{key}{n:03d}"
        return first17 + id_check_char(first17)

    def new_name(self, sex: str, surname: str | None = None) -> str:
        r = self.rng
        if surname is None:
            surname = r.choices([s for s, _ in SURNAMES], [w for _, w in SURNAMES])[0]
        pool = GIVEN_MALE if sex == "男" else GIVEN_FEMALE
        return surname + "".join(r.choice(pool) for _ in range(r.choice((1, 2, 2))))

    def rand_date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(max((end - start).days, 1)))

    def person(self, hh: Household, rel: str, sex: str, birth: dt.date, surname: str | None = None) -> Person:
        p = Person(self.new_id(birth, sex), self.new_name(sex, surname), sex, birth, hh, rel, hh.unit, hh.village)
        r = self.rng
        if p.age() >= 18:
            p.phone = r.choice("358") and f"1{r.choice('3589')}{r.randrange(10**9):09d}"
        if r.random() < 0.05:
            p.disability = r.choice(("一级", "二级", "三级", "四级"))
        if r.random() < 0.03 and p.age() > 30:
            p.illness = "是"
        age = p.age()
        p.labour = (
            "完全丧失" if (age >= 70 or p.disability in ("一级", "二级")) else ("部分丧失" if age >= 60 else "有")
        )
        hh.members.append(p)
        self.persons.append(p)
        return p

    def relate(self, a: Person, b: Person, rel: str, source: str = "户籍") -> None:
        """a's relative b is a's <rel> (父/母/子/女/兄弟姐妹/配偶)."""
        self.relations.add(person_id=a.pid, relative_id=b.pid, relation=rel, source=source)

    def new_account(
        self,
        holder: Person | None,
        *,
        phone: str | None = None,
        holder_type: str = "个人",
        holder_id: str | None = None,
        holder_name: str | None = None,
    ) -> str:
        self.acct_seq += 1
        body = f"621799{ACCOUNT_BLOCK}{self.acct_seq:0{12 - len(ACCOUNT_BLOCK)}d}"
        acct = next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
        self.acct_index[acct] = len(self.accounts)
        self.accounts.add(
            account_no=acct,
            holder_id=holder_id or holder.pid,
            holder_name=holder_name or holder.name,
            holder_type=holder_type,
            bank="三都县农村信用合作联社",
            reserved_phone=phone if phone is not None else (holder.phone if holder else None),
            opened_date="2015-06-01",
        )
        return acct

    def plant(self, rule: str, detail: str = "", **keys) -> None:
        self.truth.add(rule=rule, detail=detail, **keys)

    # ------------------------------------------------------------ geography and people
    def build(self) -> "County":
        r = self.rng
        n_vill = max(6, round(self.residents / 1000))
        n_town = max(3, math.ceil(n_vill / 12))
        per_town = math.ceil(n_vill / n_town)
        target = self.residents / n_vill
        for t in range(n_town):
            name = TOWNS[t] if t < len(TOWNS) else f"第{t + 1}镇"
            town = Town(name, f"{t + 1:03d}", urban=(t == 0))
            self.towns.append(town)
            for v in range(per_town):
                if sum(len(x.villages) for x in self.towns) >= n_vill:
                    break
                code = f"{REGION}{town.code}{v + 1:03d}"
                vname = r.choice(VILLAGE_SYLL) + r.choice(VILLAGE_SYLL) + ("社区" if town.urban else "村")
                village = Village(code, vname, town, groups=r.randint(4, 6))
                village.terminal = f"ZN{code[-6:]}"
                town.villages.append(village)
                while sum(len(h.members) for u in village.units for h in u.households) < target:
                    self.make_unit(village)
        self.assign_officials()
        self.make_cases()
        return self

    def make_unit(self, village: Village) -> Unit:
        r = self.rng
        unit = Unit(len(village.units), village)
        village.units.append(unit)

        def household(origin: str = "elder") -> Household:
            return self.new_household(unit, origin)

        surname = None
        father_birth = self.rand_date(dt.date(1940, 1, 1), dt.date(1972, 12, 31))
        elder = household()
        father = self.person(elder, "户主", "男", father_birth)
        surname = father.name[0]
        mother = self.person(elder, "配偶", "女", father_birth + dt.timedelta(days=r.randint(-1000, 1500)))
        if r.random() < 0.12 and father_birth.year > 1955:
            self.person(elder, "母亲", "女", father_birth - dt.timedelta(days=r.randint(20 * 365, 30 * 365)), surname)
        for _ in range(r.choice((1, 2, 2, 3, 3, 4))):
            sex = r.choice("男女")
            birth = father_birth + dt.timedelta(days=r.randint(22 * 365, 36 * 365))
            if birth > dt.date(2020, 1, 1):
                continue
            married = (AS_OF.year - birth.year) >= 23 and r.random() < 0.8
            if not married:
                self.person(elder, "子" if sex == "男" else "女", sex, birth, surname if sex == "男" else surname)
                continue
            if sex == "男":
                hh = household("son")
                son = self.person(hh, "户主", "男", birth, surname)
                wife = self.person(hh, "配偶", "女", birth + dt.timedelta(days=r.randint(-800, 1500)))
                self.relate(son, father, "父")
                self.relate(son, mother, "母")
                if r.random() < 0.4:
                    inlaw = household("inlaw")
                    wf = self.person(
                        inlaw, "户主", "男", wife.birth - dt.timedelta(days=r.randint(22 * 365, 32 * 365)), wife.name[0]
                    )
                    wm = self.person(inlaw, "配偶", "女", wf.birth + dt.timedelta(days=r.randint(-800, 1500)))
                    self.relate(wife, wf, "父")
                    self.relate(wife, wm, "母")
                parent, psur = son, surname
            else:
                hh = household("daughter")
                husband = self.person(hh, "户主", "男", birth + dt.timedelta(days=r.randint(-1500, 800)))
                dau = self.person(hh, "配偶", "女", birth, surname)
                self.relate(dau, father, "父")
                self.relate(dau, mother, "母")
                if r.random() < 0.35:
                    hf = self.person(
                        hh,
                        "父亲",
                        "男",
                        husband.birth - dt.timedelta(days=r.randint(23 * 365, 32 * 365)),
                        husband.name[0],
                    )
                    self.person(hh, "母亲", "女", hf.birth + dt.timedelta(days=r.randint(-800, 1500)))
                parent, psur = husband, husband.name[0]
            for _ in range(r.choice((0, 1, 1, 2, 2, 3))):
                ks = r.choice("男女")
                kb = parent.birth + dt.timedelta(days=r.randint(22 * 365, 34 * 365))
                if kb < dt.date(2024, 6, 1):
                    self.person(hh, "子" if ks == "男" else "女", ks, kb, psur)
        return unit

    def all_villages(self) -> list[Village]:
        return [v for t in self.towns for v in t.villages]

    def new_household(self, unit: Unit, origin: str) -> Household:
        village = unit.village
        village.n_households = getattr(village, "n_households", 0) + 1  # type: ignore[attr-defined]
        hh = Household(f"{village.code}{village.n_households:04d}", village, unit, origin=origin)
        unit.households.append(hh)
        return hh

    def adults(self, unit: Unit, lo: int = 25, hi: int = 60) -> list[Person]:
        return [p for h in unit.households for p in h.members if lo <= p.age() <= hi]

    def assign_officials(self) -> None:
        r = self.rng
        roles_village = ["村党支部书记", "村委会主任", "村委委员", "村委委员", "村监委委员", "社会救助协理员"]
        county_staff_left = 3
        for town in self.towns:
            for vi, village in enumerate(town.villages):
                free = [u for u in village.units if self.adults(u)]
                r.shuffle(free)
                roles = roles_village + ["村民小组长"] * village.groups
                staff_roles = []
                if vi == 0:
                    staff_roles = ["乡镇民政助理员", "乡镇分管领导"]
                    if county_staff_left > 0 and town is self.towns[0]:
                        staff_roles += ["县民政局经办人员"] * county_staff_left
                        county_staff_left = 0
                for role in roles + staff_roles:
                    unit = free.pop()
                    unit.kind = "official"
                    sons = [h.head for h in unit.households if h.origin == "son" and 25 <= h.head.age() <= 60]
                    p = r.choice(sons) if sons else r.choice(self.adults(unit))
                    p.role = role
                    level = "县" if role.startswith("县") else ("乡镇" if role.startswith("乡镇") else "村")
                    self.officials.add(
                        person_id=p.pid,
                        name=p.name,
                        role=role,
                        level=level,
                        village_code=village.code if level == "村" else None,
                        township=town.name if level != "县" else None,
                        start_date="2015-01-01",
                        end_date=None,
                    )
                    if level == "村":
                        village.officials.append(p)
                    elif level == "乡镇":
                        town.staff.append(p)
                    else:
                        self.county_staff = getattr(self, "county_staff", []) + [p]
                # appraisal panel: cadres + representatives (>= half, every group)
                cadres = [
                    p for p in village.officials if p.role in ("村党支部书记", "村委会主任", "村委委员", "村监委委员")
                ]
                panel = [(p, "监委成员" if p.role == "村监委委员" else "村委成员", "") for p in cadres]
                size = max(int(self.prof.get("appraisal_min_members") or 20) + 1, 21)
                reps_needed = max(size - len(panel), len(panel) + 2, village.groups)
                plain = [u for u in village.units if u.kind == "plain"]
                r.shuffle(plain)
                reps = []
                for u in plain:
                    cand = [p for p in self.adults(u, 30, 65)]
                    if cand:
                        reps.append(r.choice(cand))
                        u.kind = "panel"
                    if len(reps) >= reps_needed:
                        break
                panel += [(p, "村民代表", f"第{i % village.groups + 1}组") for i, p in enumerate(reps)]
                village.panel = panel
                acct_name = f"{village.name}村民委员会"
                village.collective_account = self.new_account(
                    None,
                    phone="",
                    holder_type="村集体",
                    holder_id=uscc(f"54{REGION}{village.code[-7:]}{len(self.accounts):02d}"[:17]),
                    holder_name=acct_name,
                )

    # ------------------------------------------------------------ the roll
    def standard_for(self, village: Village) -> float:
        return self.std_urban if village.town.urban else self.std_rural

    def make_cases(self) -> None:
        r = self.rng
        for village in self.all_villages():
            cands = [h for u in village.units if u.kind == "plain" for h in u.households]
            for hh in cands:
                old = sum(1 for p in hh.members if p.age() >= 65)
                weak = sum(1 for p in hh.members if p.disability in ("一级", "二级") or p.illness)
                prob = 0.04 + 0.05 * (old > 0) + 0.08 * (weak > 0)
                if r.random() < prob:
                    self.new_case(hh)
        self.assign_batches()
        for c in r.sample(self.cases, max(1, len(self.cases) // 40)):
            if c.approval_date < dt.date(2023, 6, 1) and not c.single_route:
                c.status, c.ge_reason = "渐退", "务工就业"
                c.ge_start = add_months(AS_OF, -2).replace(day=1)
                self.used_cases.add(c.case_id)

    def new_case(self, hh: Household, *, approval: dt.date | None = None, single: bool | None = None) -> Case:
        r = self.rng
        village = hh.village
        std = self.standard_for(village)
        weak = [p for p in hh.members if p.disability in ("一级", "二级") or p.illness]
        allow_single = bool(self.prof.get("single_person_route_allowed")) and self.prof.get(
            "single_person_route_multiple"
        )
        if single is None:
            single = bool(weak) and len(hh.members) >= 3 and allow_single and r.random() < 0.5
        members = [(p, (p in weak[:1]) if single else True) for p in hh.members]
        n = sum(1 for _, e in members if e)
        income = round(r.uniform(0.15, 0.85) * std)
        base = (
            (float(self.prof.get("single_person_route_multiple") or 1) * std - income) if single else (std - income) * n
        )
        addon, reasons = 0.0, ""
        lo, hi = self.prof.get("addon_min_share"), self.prof.get("addon_max_share")
        if (
            lo is not None
            and hi is not None
            and any(p.disability in ("一级", "二级") for p in hh.members)
            and r.random() < 0.6
        ):
            addon = round(std * float(r.choice((lo, (lo + hi) / 2, hi))))
            reasons = "重度残疾"
        approval = approval or self.rand_date(dt.date(2016, 3, 1), dt.date(2024, 9, 30))
        approval = approval.replace(day=1) + dt.timedelta(days=21)  # batches: apply on the 1st of a month
        old = all(p.age() >= 60 for p, e in members if e)
        btype = "常补" if (old or single or any(p.labour == "完全丧失" for p, e in members if e)) else "非常补"
        unstable = btype == "非常补" and any(p.labour == "有" for p, e in members if e) and r.random() < 0.3
        holder = (
            next(p for p, e in members if e and p.age() >= 18)
            if any(e and p.age() >= 18 for p, e in members)
            else hh.head
        )
        case = Case(
            f"LB{REGION}{len(self.cases) + 1:06d}",
            hh,
            members,
            btype,
            float(income),
            std,
            float(round(base) + addon),
            addon,
            reasons,
            approval - dt.timedelta(days=21),
            approval,
            "乡镇" if r.random() < 0.3 else "县",
            unstable,
            single,
            self.new_account(holder),
        )
        self.cases.append(case)
        self.case_hids.add(hh.hid)
        self.schedule(case)
        return case

    def interval(self, case: Case) -> int:
        if case.labour_unstable and self.prof.get("recheck_months_unstable"):
            return int(self.prof.get("recheck_months_unstable"))
        key = "recheck_months_regular" if case.benefit_type == "常补" else "recheck_months_irregular"
        return int(self.prof.get(key) or 12)

    def schedule(self, case: Case) -> None:
        """Workflow steps and rechecks on time (the clean background)."""
        town = case.village.town
        helper = next((p for p in case.village.officials if p.role == "社会救助协理员"), None)
        staff = town.staff[0] if town.staff else None
        county = self.county_staff[0]
        d0 = case.app_date
        plan = {
            "申请": (0, None),
            "受理": (1, staff),
            "入户调查": (3, staff),
            "信息核对": (4, county),
            "民主评议": (6, None),
            "乡镇审核": (14, town.staff[-1] if town.staff else None),
            "县级审批/审核确认": (21, county),
        }
        case.steps = {s: (d0 + dt.timedelta(days=off), h.pid if h else None) for s, (off, h) in plan.items()}
        case.rechecks = []
        step = self.interval(case)
        d = case.approval_date
        while True:  # each recheck a little before the previous one's interval runs out
            d = add_months(d, step) - dt.timedelta(days=self.rng.randint(5, 25))
            if d > AS_OF:
                break
            case.rechecks.append((d, staff.pid if staff else helper.pid))

    def assign_batches(self) -> None:
        """One appraisal meeting per village and application month, with three notices."""
        groups: dict[tuple[str, dt.date], list[Case]] = {}
        for c in self.cases:
            if c.batch is None:
                groups.setdefault((c.village.code, c.app_date), []).append(c)
        for (_, d0), cases in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            self.make_batch(cases, d0)

    def make_batch(self, cases: list[Case], d0: dt.date) -> Batch:
        r = self.rng
        village = cases[0].village
        panel = village.panel
        used = getattr(village, "_absent_sets", None)
        if used is None:
            used = set()
            village._absent_sets = used  # type: ignore[attr-defined]
        total = len(panel)
        quorum = math.ceil(total * 2 / 3)
        for _ in range(50):
            n_abs = r.randint(1, min(5, total - quorum))
            absent = frozenset(r.sample(range(total), n_abs))
            reps_left = sum(1 for i, m in enumerate(panel) if i not in absent and m[1] == "村民代表")
            groups_left = {m[2] for i, m in enumerate(panel) if i not in absent and m[1] == "村民代表"}
            if absent not in used and reps_left * 2 >= total - n_abs and len(groups_left) == village.groups:
                break
        used.add(absent)
        attendees = [m for i, m in enumerate(panel) if i not in absent]
        b = Batch(f"PY{village.code}{d0:%Y%m}", village, d0 + dt.timedelta(days=6), total, attendees, cases)
        n = len(attendees)
        for c in cases:
            no, ab = r.randint(0, 2), r.randint(0, 1)
            b.votes[c.case_id] = (n - no - ab, no, ab, "通过")
            c.batch = b
        ids = ";".join(c.case_id for c in cases)
        text = "；".join(
            f"{c.hh.head.name[0]}某某 {c.hh.head.pid[:4]}**********{c.hh.head.pid[-2:]} "
            f"保障{len(c.enrolled)}人 月保障金{c.amount:.0f}元"
            for c in cases
        )
        for stage, off in (("一榜", 7), ("二榜", 15), ("三榜", 22)):
            b.notices.append(
                [
                    stage,
                    d0 + dt.timedelta(days=off),
                    d0 + dt.timedelta(days=off + 7),
                    ids,
                    f"{village.name}{stage}公示：{text}",
                ]
            )
        self.batches.append(b)
        return b

    def make_background_records(self) -> None:
        """Cross-check records that do not disqualify anybody (non-members, out-of-window, motorbikes)."""
        r = self.rng
        enrolled = {p.pid for c in self.cases for p, e in c.members}
        busy = (
            enrolled
            | {p.pid for v in self.all_villages() for p, _, _ in v.panel}
            | {p.pid for p in self.persons if p.role}
            | self.used_people
        )
        for p in self.persons:
            age = p.age()
            if p.pid in enrolled:
                if age >= 18 and r.random() < 0.05:
                    self.x["vehicles"].add(
                        person_id=p.pid,
                        plate=f"贵J{r.randrange(10**5):05d}",
                        vehicle_type="摩托车",
                        registered_date=self.rand_date(dt.date(2015, 1, 1), dt.date(2024, 6, 1)),
                    )
                continue
            if age < 20:
                continue
            x = r.random()
            if x < 0.06:
                self.x["vehicles"].add(
                    person_id=p.pid,
                    plate=f"贵J{r.randrange(10**5):05d}",
                    vehicle_type="小型汽车",
                    registered_date=self.rand_date(dt.date(2012, 1, 1), dt.date(2024, 6, 1)),
                )
            elif x < 0.08:
                self.x["businesses"].add(
                    person_id=p.pid,
                    role="经营者",
                    entity_name=f"{p.name[0]}记商店",
                    registered_capital=50000,
                    employees=2,
                    start_date=self.rand_date(dt.date(2010, 1, 1), dt.date(2024, 1, 1)),
                )
            elif x < 0.09:
                self.x["travel"].add(person_id=p.pid, date=self.rand_date(dt.date(2024, 1, 1), AS_OF), mode="飞机")
            elif x < 0.1 and p.pid not in busy and age > 75 and not any(c.hh is p.hh for c in ()):
                self.x["deaths"].add(
                    person_id=p.pid, death_date=self.rand_date(dt.date(2023, 1, 1), AS_OF), source="殡葬"
                )
                p.death = True
        for p in getattr(self, "county_staff", []) + [s for t in self.towns for s in t.staff]:
            self.x["salaried"].add(
                person_id=p.pid,
                employer=f"{COUNTY}人民政府",
                employer_type="机关",
                start_date=dt.date(2010, 7, 1),
                monthly_salary=5200,
            )
        for c in self.cases:  # the verification platform reports small savings of every roll household
            for p in c.enrolled[:1]:
                self.x["assets"].add(
                    person_id=p.pid, as_of_date=dt.date(2024, 6, 30), amount=round(r.uniform(0, 6) * c.standard)
                )
        self.make_coverage_background()

    def application_id(self, d: dt.date) -> str:
        self.app_seq += 1
        return f"SQ{REGION}{d.year}{d.month:02d}{self.app_seq:05d}"

    def check(self, hh: Household, d: dt.date, income: float, source: str = "核对平台", standard: float | None = None):
        std = standard if standard is not None else self.standard_for(hh.village)
        self.x["income_checks"].add(
            household_id=hh.hid,
            check_date=d,
            per_capita_income=round(income, 2),
            financial_assets=round(self.rng.uniform(0, 3) * std, 2),
            result="符合" if income < std else "不符合",
            source=source,
        )

    def refused(self, hh: Household, d: dt.date, reason: str, steps=("入户调查", "信息核对")) -> str:
        """A refused application with the workflow rows filed under its id (the steps given)."""
        aid = self.application_id(d)
        decided = d + dt.timedelta(days=25)
        self.x["applications"].add(
            application_id=aid,
            household_id=hh.hid,
            applicant_id=hh.head.pid,
            application_date=d,
            decision="不予批准",
            decision_date=decided,
            reason=reason,
        )
        staff = hh.village.town.staff[0].pid
        days = {"受理": 3, "入户调查": 6, "信息核对": 10, "乡镇审核": 16, "县级审批/审核确认": 25}
        for step, off in days.items():
            if step in ("入户调查", "信息核对") and step not in steps:
                continue
            self.extra_workflow.append(
                dict(
                    case_id=aid,
                    step=step,
                    date=d + dt.timedelta(days=off),
                    handler_id=staff,
                    result="不同意" if step != "受理" else "受理",
                )
            )
        return aid

    # Above this size the planters draw households and cases from one seeded order kept for the whole
    # county (first match wins) instead of filtering and shuffling every household for every plant,
    # which is quadratic and takes hours at a million residents. Below it the exact original draw is
    # kept, so the bundled sample and the test counties stay the same county.
    LAZY_DRAW_RESIDENTS = 250_000

    def _lazy(self) -> bool:
        return self.residents >= self.LAZY_DRAW_RESIDENTS

    def _draw(self, name: str, items: Callable[[], list], ok: Callable[[object], bool]):
        """The first item satisfying ``ok`` in a seeded order built once (a uniform draw among them)."""
        order = self.__dict__.setdefault(f"_order_{name}", None)
        if order is None:
            order = items()
            self.rng.shuffle(order)
            self.__dict__[f"_order_{name}"] = order
        return next((x for x in order if ok(x)), None)

    def first_plain_household(self, pred=lambda h: True) -> Household:
        """``plain_households(pred)[0]``, drawn lazily in large counties."""
        if not self._lazy():
            return self.plain_households(pred)[0]

        def ok(h: Household) -> bool:
            return (
                bool(h.members)
                and h.hid not in self.case_hids
                and h.hid not in self.used_people
                and not any(p.pid in self.used_people or p.role for p in h.members)
                and pred(h)
            )

        everyone = lambda: [h for v in self.all_villages() for u in v.units if u.kind == "plain" for h in u.households]  # noqa: E731
        hh = self._draw("plain", everyone, ok)
        if hh is None:
            raise IndexError("no plain household left")
        return hh

    def plain_households(self, pred=lambda h: True) -> list[Household]:
        """Households of plain kin units with no case, no office and no plant yet, in a seeded order."""
        out = [
            h
            for v in self.all_villages()
            for u in v.units
            if u.kind == "plain"
            for h in u.households
            if h.members
            and h.hid not in self.case_hids
            and h.hid not in self.used_people
            and not any(p.pid in self.used_people or p.role for p in h.members)
            and pred(h)
        ]
        self.rng.shuffle(out)
        return out

    def make_coverage_background(self) -> None:
        """Applications and checks of every roll household, and the near misses of the COVER rules:
        refusals on assessed income with survey and check on record, monitored households above the
        line, edge households assessed above the standard, elderly people living alone who were assessed
        or are on the 特困 roll."""
        r = self.rng
        for c in self.cases:
            if c.case_id in self.no_application:
                continue
            self.x["applications"].add(
                application_id=self.application_id(c.app_date),
                household_id=c.hh.hid,
                applicant_id=c.hh.head.pid,
                application_date=c.app_date,
                decision="批准",
                decision_date=c.approval_date,
                reason=None,
                case_id=c.case_id,
            )
            d = c.steps.get("信息核对", (c.app_date + dt.timedelta(days=5), None))[0]
            self.check(c.hh, d, c.income, standard=c.standard)
        k = self.n_plants()
        reasons = (
            "经家庭经济状况核对，家庭人均月收入超过低保标准",
            "家庭人均收入高于当地低保标准",
            "家庭财产状况不符合规定（存款超过规定标准）",
            "家庭收入超过低保标准",
        )
        for i, hh in enumerate(self.plain_households()[: 3 * k]):
            std = self.standard_for(hh.village)
            d = self.rand_date(dt.date(2023, 1, 1), dt.date(2024, 9, 1))
            group = i % 3
            if group == 0:  # refused on assessed income, survey and check on record
                self.refused(hh, d, reasons[i % len(reasons)])
                self.check(hh, d + dt.timedelta(days=6), std * r.uniform(1.6, 2.5), source="入户调查")
                self.check(hh, d + dt.timedelta(days=10), std * r.uniform(1.6, 2.5))
            elif group == 1:  # monitored, income well above the line
                self.x["monitoring"].add(
                    household_id=hh.hid,
                    person_id=hh.head.pid,
                    monitor_type=r.choice(("脱贫不稳定户", "边缘易致贫户")),
                    identified_date=d,
                    risk=r.choice(("因病", "因学", "因务工就业不稳")),
                    per_capita_income=round(12 * std * r.uniform(1.6, 3)),
                    risk_status="未消除",
                )
            else:  # 低保边缘 household assessed above the standard
                self.x["other_rolls"].add(
                    person_id=hh.head.pid, program=r.choice(("低保边缘", "低保边缘家庭")), county=COUNTY, start_date=d
                )
                self.check(hh, d + dt.timedelta(days=40), std * r.uniform(1.1, 1.45))
            self.used_people.add(hh.hid)
        dead = {p.pid for p in self.persons if p.death}
        for v in self.all_villages():
            for u in v.units:
                for hh in u.households:
                    alive = [p for p in hh.members if p.pid not in dead]
                    if (
                        len(alive) != 1
                        or alive[0].age() < 60
                        or hh.hid in self.case_hids
                        or hh.hid in self.used_people
                        or alive[0].pid in self.used_people
                    ):
                        continue
                    std = self.standard_for(v)
                    if r.random() < 0.6:
                        self.check(
                            hh,
                            self.rand_date(dt.date(2023, 1, 1), dt.date(2024, 10, 1)),
                            std * r.uniform(1.2, 3),
                            source="入户调查",
                        )
                    else:
                        self.x["other_rolls"].add(
                            person_id=alive[0].pid,
                            program="特困",
                            county=COUNTY,
                            start_date=self.rand_date(dt.date(2015, 1, 1), dt.date(2023, 1, 1)),
                        )

    # ------------------------------------------------------------ planting helpers
    def n_plants(self) -> int:
        return max(2, math.ceil(self.anomaly_rate * len(self.cases) / 4))

    def fresh_case(self, pred: Callable[[Case], bool] = lambda c: True) -> Case:
        if self._lazy():
            c = self._draw(
                "cases",
                lambda: list(self.cases),
                lambda c: (
                    c.case_id not in self.used_cases
                    and c.status == "在保"
                    and c.batch is not None
                    and len(c.batch.cases) == 1
                    and not c.single_route
                    and pred(c)
                ),
            ) or self._draw(
                "cases",
                lambda: list(self.cases),
                lambda c: c.case_id not in self.used_cases and c.status == "在保" and not c.single_route and pred(c),
            )
            if c is not None:
                self.used_cases.add(c.case_id)
                return c
        pool = [
            c
            for c in self.cases
            if c.case_id not in self.used_cases
            and c.status == "在保"
            and c.batch is not None
            and len(c.batch.cases) == 1
            and not c.single_route
            and pred(c)
        ]
        if not pool:
            pool = [
                c
                for c in self.cases
                if c.case_id not in self.used_cases and c.status == "在保" and not c.single_route and pred(c)
            ]
        if not pool:  # a small county runs out of roll households: enrol another poor household
            free = [
                h
                for v in self.all_villages()
                for u in v.units
                if u.kind == "plain"
                for h in u.households
                if h.members and h.hid not in self.used_people and h.hid not in self.case_hids
            ]
            self.rng.shuffle(free)
            for h in free[:200]:
                c = self.add_case(h, approval=self.rand_date(dt.date(2016, 3, 1), dt.date(2022, 12, 31)), single=False)
                if pred(c):
                    return c
            raise RuntimeError("模拟县太小，无法埋设全部问题：请增大 --residents")
        c = self.rng.choice(pool)
        self.used_cases.add(c.case_id)
        return c

    def solo_batch(self, case: Case) -> None:
        """Give a case its own meeting and notices (so a plant touches no other case)."""
        if case.batch:
            case.batch.cases.remove(case)
            case.batch.votes.pop(case.case_id, None)
            for n in case.batch.notices:
                n[3] = ";".join(c.case_id for c in case.batch.cases)
        case.batch = None
        self.own_meeting(self.make_batch([case], case.app_date), case)

    def own_meeting(self, b: Batch, case: Case) -> None:
        """A case's own meeting: same day as its village's batch, in the next free time slot."""
        b.meeting_id += f"-{case.case_id[-4:]}"
        key = (b.village.code, b.date)
        slot = self.slots.get(key, 0) + 1
        self.slots[key] = slot
        start = 13 + 2 * ((slot - 1) % 5)  # the village's regular meeting is 09:00–11:30
        b.start_time, b.end_time = f"{start:02d}:00", f"{start + 1:02d}:30"
        b.date += dt.timedelta(days=(slot - 1) // 5)  # five afternoon and evening slots a day

    def add_case(self, hh: Household, **kw) -> Case:
        c = self.new_case(hh, **kw)
        self.used_cases.add(c.case_id)
        self.own_meeting(self.make_batch([c], c.app_date), c)
        return c

    def cases_by_village(self) -> dict[str, list[Case]]:
        out: dict[str, list[Case]] = {}
        for x in self.cases:
            out.setdefault(x.hh.village.code, []).append(x)
        return out

    def relative_household(self, official: Person) -> Household | None:
        """A household of the official's kin component other than the official's own."""
        others = [h for h in official.unit.households if h is not official.hh and h.members]
        return self.rng.choice(others) if others else None

    def months_active(self, c: Case) -> list[dt.date]:
        start = max(month_start(add_months(c.approval_date, 1)), PAY_START)
        end = month_start(c.exit_date) if c.exit_date else month_start(AS_OF)
        out, m = [], start
        while m <= end:
            out.append(m)
            m = add_months(m, 1)
        return out

    # ------------------------------------------------------------ plants
    def plant_all(self) -> "County":
        k = self.n_plants()
        from data import plants
        from detectors.base import all_detectors

        detected = {s.code for s in all_detectors()}
        for code in (c for c in catalogue() if c in detected):
            fn = getattr(plants, "plant_" + code.replace("-", "_").lower(), None)
            if fn is None:  # a planter is optional: a rule without one is not in truth.csv (bench says so)
                continue
            for i in range(k):
                fn(self, i)
        return self

    # ------------------------------------------------------------ serialisation
    def frames(self) -> dict[str, pd.DataFrame]:
        persons = Rows(
            "person_id",
            "name",
            "sex",
            "birth_date",
            "household_id",
            "relation_to_head",
            "village_code",
            "village_name",
            "group",
            "township",
            "county",
            "area_type",
            "residence_status",
            "phone",
            "disability_grade",
            "serious_illness",
            "labour_capacity",
            "household_split_date",
        )
        for v in self.all_villages():
            for u in v.units:
                for h in u.households:
                    for p in h.members:
                        p.row = persons.add(
                            person_id=p.pid,
                            name=p.name,
                            sex=p.sex,
                            birth_date=self.birth_override.get(p.pid, p.birth),
                            household_id=h.hid,
                            relation_to_head=p.rel,
                            village_code=v.code,
                            village_name=v.name,
                            group=group_label(f"第{int(h.hid[-4:]) % v.groups + 1}组", int(v.code[-3:])),
                            township=v.town.name,
                            county=COUNTY,
                            area_type="城市" if v.town.urban else "农村",
                            residence_status="在户",
                            phone=p.phone,
                            disability_grade=p.disability,
                            serious_illness=p.illness or "否",
                            labour_capacity=p.labour,
                            household_split_date=h.split_date,
                        )
        cases = Rows(
            "case_id",
            "household_id",
            "head_id",
            "village_code",
            "township",
            "area_type",
            "benefit_type",
            "enrolled_count",
            "monthly_amount",
            "per_capita_income",
            "standard",
            "addon_amount",
            "addon_reasons",
            "application_date",
            "acceptance_date",
            "approval_date",
            "approval_level",
            "status",
            "exit_date",
            "exit_reason",
            "gradual_exit_start",
            "gradual_exit_reason",
            "labour_unstable",
            "single_person_route",
            "account_no",
        )
        members = Rows("case_id", "person_id", "enrolled")
        payments = Rows("case_id", "period", "amount", "account_no", "paid_date")
        workflow = Rows("case_id", "step", "date", "handler_id", "result")
        rechecks = Rows("case_id", "date", "method", "result", "officer_ids")
        wd = self.extra_withdrawals
        r = self.rng
        for c in self.cases:
            v = c.village
            cases.add(
                case_id=c.case_id,
                household_id=c.hh.hid,
                head_id=c.hh.head.pid,
                village_code=v.code,
                township=v.town.name,
                area_type="城市" if v.town.urban else "农村",
                benefit_type=c.benefit_type,
                enrolled_count=len(c.enrolled),
                monthly_amount=c.amount,
                per_capita_income=c.income,
                standard=c.standard,
                addon_amount=c.addon or None,
                addon_reasons=c.addon_reasons or None,
                application_date=c.app_date,
                acceptance_date=c.steps["受理"][0] if "受理" in c.steps else None,
                approval_date=c.approval_date,
                approval_level=c.approval_level,
                status=c.status,
                exit_date=c.exit_date,
                exit_reason=c.exit_reason,
                gradual_exit_start=c.ge_start,
                gradual_exit_reason=c.ge_reason,
                labour_unstable="是" if c.labour_unstable else "否",
                single_person_route="是" if c.single_route else "否",
                account_no=c.account,
            )
            for p, e in c.members:
                members.add(case_id=c.case_id, person_id=p.pid, enrolled="是" if e else "否")
            for step, (d, h) in sorted(c.steps.items(), key=lambda kv: kv[1][0]):
                workflow.add(case_id=c.case_id, step=step, date=d, handler_id=h, result="同意")
            if c.batch:
                workflow.add(
                    case_id=c.case_id, step="公示", date=c.batch.notices[0][1], handler_id=None, result="无异议"
                )
            for d, officer in c.rechecks:
                rechecks.add(case_id=c.case_id, date=d, method="入户核查", result="继续保障", officer_ids=officer)
            for m in sorted(set(self.months_active(c)) | set(c.extra_pay_months)):
                amt = c.pay_override.get(m, c.amount)
                paid = m.replace(day=10)
                payments.add(
                    case_id=c.case_id, period=m.strftime("%Y-%m"), amount=amt, account_no=c.account, paid_date=paid
                )
                if c.custom_withdrawals or r.random() < 0.1:
                    continue
                if r.random() < 0.35:  # payday crowd at the village service point
                    t = dt.datetime.combine(paid, dt.time(9)) + dt.timedelta(minutes=r.randint(0, 150))
                else:
                    t = dt.datetime.combine(paid + dt.timedelta(days=r.randint(1, 20)), dt.time(8, 30)) + dt.timedelta(
                        minutes=r.randint(0, 540)
                    )
                full = r.random() < 0.5
                wd.add(
                    account_no=c.account,
                    time=t.strftime("%Y-%m-%d %H:%M:%S"),
                    amount=amt if full else round(amt * r.uniform(0.3, 0.9)),
                    direction="支出",
                    channel=r.choice(("助农取款点", "助农取款点", "ATM")) if True else None,
                    terminal_id=v.terminal,
                    operator_id=None,
                    counterparty_account=None,
                )
        for row in self.extra_payments:
            payments.add(**row)
        for row in self.extra_workflow:
            workflow.add(**row)
        for row in self.extra_members:
            members.add(**row)
        meetings = Rows(
            "meeting_id", "village_code", "date", "start_time", "end_time", "members_total", "secret_ballot"
        )
        attendance = Rows("meeting_id", "person_id", "role", "group", "signed")
        votes = Rows("meeting_id", "case_id", "yes", "no", "abstain", "result")
        notices = Rows("village_code", "stage", "start_date", "end_date", "case_ids", "text")
        for b in self.batches:
            if not b.cases and not b.votes:
                continue
            meetings.add(
                meeting_id=b.meeting_id,
                village_code=b.village.code,
                date=b.date,
                start_time=b.start_time,
                end_time=b.end_time,
                members_total=b.members_total,
                secret_ballot="是",
            )
            style = int(b.village.code[-3:]) + 1 + len(meetings)  # another clerk writes the sign-in sheet
            for p, role, group in b.attendees:
                attendance.add(
                    meeting_id=b.meeting_id,
                    person_id=p.pid,
                    role=role,
                    group=group_label(group, style) if group else None,
                    signed="是",
                )
            for cid, (y, n, a, res) in b.votes.items():
                if any(c.case_id == cid and c.no_vote for c in b.cases):
                    continue
                votes.add(meeting_id=b.meeting_id, case_id=cid, yes=y, no=n, abstain=a, result=res)
            for stage, s, e, ids, text in b.notices:
                if ids:
                    notices.add(
                        village_code=b.village.code, stage=stage, start_date=s, end_date=e, case_ids=ids, text=text
                    )
        for row in self.extra_votes:
            votes.add(**row)
        out = {
            "persons": persons.frame(),
            "relations": self.relations.frame(),
            "officials": self.officials.frame(),
            "kin_filings": self.filings.frame(),
            "cases": cases.frame(),
            "case_members": members.frame(),
            "payments": payments.frame(),
            "accounts": self.accounts.frame(),
            "withdrawals": wd.frame(),
            "rechecks": rechecks.frame(),
            "workflow": workflow.frame(),
            "meetings": meetings.frame(),
            "meeting_attendance": attendance.frame(),
            "votes": votes.frame(),
            "notices": notices.frame(),
        }
        out.update({k: v.frame() for k, v in self.x.items()})
        for table, rows in self.raw_rows.items():
            base = len(out[table])
            for i, row in enumerate(rows):
                rule, detail, keys = row.pop("_truth")
                self.plant(rule, detail, ref=f"{table}:{base + i + 2}", **keys)
            out[table] = pd.concat([out[table], pd.DataFrame(rows)], ignore_index=True)
        self.raw_rows = {}
        return out


_CN = "零一二三四五六七八九十"


def group_label(label: str, style: int) -> str:
    """A village-group label as one of several clerks would write it (第3组, 3组, 第3村民小组, 三组, 第三组, 3队)."""
    digits = "".join(ch for ch in label if ch.isdigit())
    if not digits:
        return label
    n = int(digits)
    cn = _CN[n] if n <= 10 else f"十{_CN[n - 10]}" if n < 20 else str(n)
    return (f"第{n}组", f"{n}组", f"第{n}村民小组", f"{cn}组", f"第{cn}组", f"{n}队")[style % 6]


def uscc(first17: str) -> str:
    """Complete a 17-character prefix into a valid unified social credit code."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(chars.index(c) * wi for c, wi in zip(first17, w))
    return first17 + chars[(31 - total % 31) % 31]


def _fmt(v: object, style: int) -> object:
    """Render dates in one of the contract's accepted forms (messy mode mixes them)."""
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return (
            v.isoformat(),
            f"{v.year}/{v.month}/{v.day}",
            f"{v.year}年{v.month}月{v.day}日",
            v.strftime("%Y%m%d"),
            v.strftime("%Y.%m.%d"),
            str((v - dt.date(1899, 12, 30)).days),
        )[style % 6]
    return v


# spellings a contract code is also written in (every one is an accepted alias)
SYNONYMS = {
    "relation_to_head": {
        "配偶": ("配偶", "妻", "妻子"),
        "子": ("子", "儿子", "长子"),
        "女": ("女", "女儿", "长女"),
        "户主": ("户主", "本人"),
        "父亲": ("父亲", "父"),
        "母亲": ("母亲", "母"),
    },
    "decision": {"不予批准": ("不予批准", "不批准", "不同意"), "批准": ("批准", "同意"), "撤回": ("撤回", "已撤回")},
}


def _money(v: object, style: int) -> object:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:
        return v
    return (v, f"{v:.2f}元", f"¥{v:,.2f}", f"{v:,.2f}")[style]


def _month(v: object, style: int) -> object:
    if not isinstance(v, str) or len(v) != 7:
        return v
    y, m = v.split("-")
    return (v, f"{y}{m}", f"{y}年{int(m)}月")[style]


def write_workspace(frames: dict[str, pd.DataFrame], out: Path, messy: bool, seed: int) -> None:
    from audit.schema import TABLES

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    for name, frame in frames.items():
        spec = TABLES[name]
        frame = frame.copy()
        if messy:
            for c in frame.columns:
                if frame[c].map(lambda v: isinstance(v, dt.date)).any():
                    frame[c] = [_fmt(v, rng.randrange(6)) for v in frame[c]]
            kinds = {col.name: col.kind for col in spec.columns}
            for c in frame.columns:  # the same facts as several clerks and systems write them
                if kinds.get(c) == "money":
                    frame[c] = [_money(v, rng.randrange(4)) for v in frame[c]]
                elif kinds.get(c) == "month":
                    frame[c] = [_month(v, rng.randrange(3)) for v in frame[c]]
                elif c in SYNONYMS:
                    frame[c] = [rng.choice(SYNONYMS[c].get(v, (v,))) if isinstance(v, str) else v for v in frame[c]]
            zh = {c.name: (c.aliases[0] if c.aliases else c.name) for c in spec.columns}
            frame = frame.rename(columns=zh)
            fname = spec.zh[0]
            if name == "cases":
                frame.to_excel(out / f"{fname}.xlsx", index=False)
                continue
            enc = "gb18030" if name in ("persons", "payments", "officials") else "utf-8-sig"
            frame.to_csv(out / f"{fname}.csv", index=False, encoding=enc)
        else:
            frame = frame.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
            frame.to_csv(out / f"{name}.csv", index=False, encoding="utf-8")


def generate(
    residents: int,
    seed: int,
    out: str | Path,
    profile: str = "sandu-2021",
    anomaly_rate: float = 0.03,
    messy: bool = False,
    plant: bool = True,
) -> dict[str, int]:
    """Generate a county workspace (and truth.csv) into ``out``; returns row counts per table."""
    county = County(residents, seed, profile, anomaly_rate).build()
    if plant:
        county.plant_all()
    county.make_background_records()  # after the plants, so that no planted case inherits a record
    frames = county.frames()
    out = Path(out)
    write_workspace(frames, out, messy, seed)
    county.truth.frame().to_csv(out / "truth.csv", index=False, encoding="utf-8-sig")
    return {k: len(v) for k, v in frames.items()} | {"truth": len(county.truth)}


# ---------------------------------------------------------------- a province of counties
_QIANNAN = (  # 黔南州's counties with their region codes; a larger province goes on with numbered ones
    ("522701", "都匀市"),
    ("522702", "福泉市"),
    ("522722", "荔波县"),
    ("522723", "贵定县"),
    ("522725", "瓮安县"),
    ("522726", "独山县"),
    ("522727", "平塘县"),
    ("522728", "罗甸县"),
    ("522729", "长顺县"),
    ("522730", "龙里县"),
    ("522731", "惠水县"),
    ("522732", "三都水族自治县"),
)


def province_counties(n: int) -> list[tuple[str, str]]:
    """Region code and name of ``n`` counties: 黔南州's twelve, then numbered ones (5226xx)."""
    extra = [(f"5226{i:02d}", f"模拟第{i}县") for i in range(1, max(0, n - len(_QIANNAN)) + 1)]
    return (list(_QIANNAN) + extra)[:n]


def generate_province(counties: int, residents: int, seed: int, out: str | Path, profile: str = "sandu-2021") -> dict:
    """``counties`` county workspaces (one sub-folder each, plain CSV) under ``out``, each its own county
    (region code, names, card numbers), plus what only a province sees, recorded in 全省truth.csv:
    one person enrolled in two counties (ELIG-09) and one card paying cases in two counties (CARD-01)."""
    global REGION, COUNTY, ACCOUNT_BLOCK
    if counties < 2:
        raise ValueError("a province needs at least two counties")
    out = Path(out)
    saved = REGION, COUNTY, ACCOUNT_BLOCK
    folders = []
    try:
        for i, (code, name) in enumerate(province_counties(counties)):
            REGION, COUNTY, ACCOUNT_BLOCK = code, name, f"{i + 1:02d}"
            folder = out / name
            generate(residents, seed + i, folder, profile=profile)
            folders.append(folder)
    finally:
        REGION, COUNTY, ACCOUNT_BLOCK = saved
    truth = _plant_across(folders, random.Random(seed))
    truth.to_csv(out / "全省truth.csv", index=False, encoding="utf-8-sig")
    return {"counties": len(folders), "truth": len(truth)}


def _plant_across(folders: list[Path], rng: random.Random) -> pd.DataFrame:
    def read(folder: Path, name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")

    def plain_case(folder: Path) -> pd.Series:
        cases, truth = read(folder, "cases"), read(folder, "truth")
        ok = cases[(cases.status == "在保") & ~cases.case_id.isin(set(truth.case_id)) & (cases.account_no != "")]
        return ok.iloc[rng.randrange(len(ok))]

    a, b, c = folders[0], folders[1], folders[2] if len(folders) > 2 else folders[1]
    rows = []
    # one person on the roll of two counties: an enrolled member of a case in A is also enrolled in B
    ca, cb = plain_case(a), plain_case(b)
    pa_ = read(a, "persons").set_index("person_id").loc[ca.head_id]
    persons_b = read(b, "persons")
    home = persons_b[persons_b.household_id == cb.household_id].iloc[0]
    extra = pa_.to_dict() | {
        "person_id": ca.head_id,
        "household_id": cb.household_id,
        "relation_to_head": "其他",
        **{k: home[k] for k in ("village_code", "village_name", "group", "township", "county", "area_type")},
    }
    write(b, "persons", pd.concat([persons_b, pd.DataFrame([extra])], ignore_index=True))
    members_b = read(b, "case_members")
    write(
        b,
        "case_members",
        pd.concat([members_b, pd.DataFrame([{"case_id": cb.case_id, "person_id": ca.head_id, "enrolled": "是"}])]),
    )
    rows += [
        {"rule": "ELIG-09", "county": a.name, "case_id": ca.case_id, "person_id": ca.head_id, "account_no": ""},
        {"rule": "ELIG-09", "county": b.name, "case_id": cb.case_id, "person_id": ca.head_id, "account_no": ""},
    ]
    # one card paying cases in two counties: C's case is paid to A's other case's card
    ca2 = plain_case(a)
    while ca2.case_id == ca.case_id:
        ca2 = plain_case(a)
    cc = plain_case(c) if c != b else plain_case(b)
    while c == b and cc.case_id == cb.case_id:
        cc = plain_case(b)
    cases_c, pay_c, acc_c = read(c, "cases"), read(c, "payments"), read(c, "accounts")
    cases_c.loc[cases_c.case_id == cc.case_id, "account_no"] = ca2.account_no
    pay_c.loc[pay_c.case_id == cc.case_id, "account_no"] = ca2.account_no
    card = read(a, "accounts")
    acc_c = pd.concat([acc_c, card[card.account_no == ca2.account_no]], ignore_index=True)
    write(c, "cases", cases_c)
    write(c, "payments", pay_c)
    write(c, "accounts", acc_c)
    rows += [
        {"rule": "CARD-01", "county": a.name, "case_id": ca2.case_id, "person_id": "", "account_no": ca2.account_no}
    ]
    # a near miss: a daughter married out of A into B (the head of a case in B), her parent's case in A; the
    # registry records the parent across county lines and her case is paid to the parent's card — related
    # households sharing a card, which is not collusion across counties (no cross-county CARD-01)
    taken = {ca.case_id, ca2.case_id}
    parent = plain_case(a)
    while parent.case_id in taken:
        parent = plain_case(a)
    used_b = {cb.case_id} | ({cc.case_id} if c == b else set())
    daughter = plain_case(b)
    while daughter.case_id in used_b:
        daughter = plain_case(b)
    father = int(parent.head_id[16]) % 2 == 1
    rel_b = read(b, "relations")
    link = {"person_id": daughter.head_id, "relative_id": parent.head_id, "relation": "父" if father else "母"}
    write(b, "relations", pd.concat([rel_b, pd.DataFrame([link | {"source": "户籍"}])], ignore_index=True))
    cases_b, pay_b = read(b, "cases"), read(b, "payments")
    cases_b.loc[cases_b.case_id == daughter.case_id, "account_no"] = parent.account_no
    pay_b.loc[pay_b.case_id == daughter.case_id, "account_no"] = parent.account_no
    write(b, "cases", cases_b)
    write(b, "payments", pay_b)
    rows += [
        {
            "rule": "decoy:CARD-01",
            "county": b.name,
            "case_id": daughter.case_id,
            "person_id": daughter.head_id,
            "account_no": parent.account_no,
        }
    ]
    rows += _plant_kin_across(a, b, read, write, rng, taken | {ca.case_id})
    return pd.DataFrame(rows)


def _plant_kin_across(a: Path, b: Path, read, write, rng: random.Random, taken: set[str]) -> list[dict]:
    """Sisters married from B into A, one a village cadre in A and the other on the roll of her village:
    A's register does not link them; B's relations record their parent with both daughters (KIN-01 across
    county lines). A near miss: the same kind of link between a cadre and a case of another township."""
    from graphs.kinship import build_kinship

    persons_a, cases_a, officials = read(a, "persons"), read(a, "cases"), read(a, "officials")
    truth_a = set(read(a, "truth").case_id)
    kin = build_kinship(persons_a.assign(birth_date=pd.to_datetime(persons_a.birth_date)), read(a, "relations"))
    cadres = officials[(officials.level == "村") & (officials.end_date == "")].sort_values("person_id")
    relatives = kin.relatives(cadres.person_id, with_path=False)
    born = persons_a.drop_duplicates("person_id").set_index("person_id").birth_date
    year = born.str[:4].astype(int)
    members = read(a, "case_members")
    plain = cases_a[(cases_a.status == "在保") & ~cases_a.case_id.isin(truth_a | taken)].merge(
        members[members.enrolled == "是"][["case_id", "person_id"]], on="case_id"
    )
    persons_b, rel_b = read(b, "persons"), read(b, "relations")
    rows = []
    for rule, same_village in (("KIN-01", True), ("decoy:KIN-01", False)):
        for _ in range(200):  # an enrolled member of a plain case, of an age to be the cadre's sibling
            cadre = cadres.iloc[rng.randrange(len(cadres))]
            here = plain.village_code == cadre.village_code
            pool = plain[here if same_village else plain.township != cadre.township]
            near = abs(year.reindex(pool.person_id).to_numpy() - year[cadre.person_id]) <= 12
            kin = set(relatives[relatives.x == cadre.person_id].y) | {cadre.person_id}
            pool = pool[near & ~pool.person_id.isin(kin)]
            if len(pool):
                break
        case = pool.iloc[rng.randrange(len(pool))]
        oldest = min(born[cadre.person_id], born[case.person_id])
        elders = persons_b[(persons_b.birth_date < f"{int(oldest[:4]) - 20}{oldest[4:]}")]
        parent = elders.iloc[rng.randrange(len(elders))].person_id
        for child in (cadre.person_id, case.person_id):
            term = "子" if int(child[16]) % 2 == 1 else "女"
            rel_b = pd.concat(
                [rel_b, pd.DataFrame([{"person_id": parent, "relative_id": child, "relation": term, "source": "户籍"}])]
            )
        plain = plain[plain.case_id != case.case_id]
        rows.append(
            {
                "rule": rule,
                "county": a.name,
                "case_id": case.case_id,
                "person_id": case.person_id,
                "account_no": "",
                "official_id": cadre.person_id,
            }
        )
    write(b, "relations", rel_b)
    return rows
