"""Hand-built families: every statutory category in both sexes and ages, decoys, virtual links."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from graphs.kinship import build_kinship
from graphs.terms import CATEGORIES_CIVIL_CODE
from tests.factory import make_ctx, person, pid

_seq = itertools.count(1)
PEOPLE: dict[str, str] = {}


def P(key: str, birth: str, sex: str) -> str:
    """Register a person under a readable key; odd sequence = male."""
    n = next(_seq) * 2 + (1 if sex == "男" else 0)
    PEOPLE[key] = pid(birth, n % 1000)
    return PEOPLE[key]


def row(key, hh, rel, name=None):
    return person(PEOPLE[key], hh, rel, name=name or key)


def R(a, b, rel):
    return {"person_id": PEOPLE[a], "relative_id": PEOPLE[b], "relation": rel, "source": "户籍"}


# --- a male official X (born 1960) and his whole family ---------------------------------------
for key, birth, sex in [
    ("X", "19600301", "男"),
    ("W", "19620501", "女"),
    ("S", "19850101", "男"),
    ("SW", "19860101", "女"),
    ("GS", "20100101", "男"),
    ("D", "19880101", "女"),
    ("DH", "19870101", "男"),
    ("DHF", "19600101", "男"),
    ("DHM", "19610101", "女"),
    ("GD", "20120101", "女"),
    ("F", "19350101", "男"),
    ("M", "19370101", "女"),
    ("GF", "19100101", "男"),
    ("GGF", "18900101", "男"),
    ("MGM", "19120101", "女"),
    ("MGF", "19110101", "男"),
    ("B1", "19580101", "男"),
    ("B1W", "19590101", "女"),
    ("N1", "19850601", "男"),
    ("N2", "19870601", "女"),
    ("B1WF", "19300101", "男"),
    ("Z1", "19630101", "女"),
    ("ZH", "19620101", "男"),
    ("ZD", "19900101", "女"),
    ("ZS", "19920101", "男"),
    ("FB", "19300601", "男"),
    ("FB2", "19400101", "男"),
    ("FS", "19420101", "女"),
    ("FBS", "19550101", "男"),
    ("FB2D", "19650101", "女"),
    ("FSS", "19620601", "男"),
    ("FSSW", "19640101", "女"),
    ("FSD", "19580601", "女"),
    ("MB", "19390101", "男"),
    ("MS", "19410101", "女"),
    ("MSD", "19500101", "女"),
    ("MBS", "19700101", "男"),
    ("WF", "19330101", "男"),
    ("WM", "19350601", "女"),
    ("WB", "19580301", "男"),
    ("WBW", "19590301", "女"),
    ("WB2", "19660101", "男"),
    ("WB2W", "19670101", "女"),
    ("WS", "19650101", "女"),
    ("WSH", "19640101", "男"),
    ("WS2", "19600101", "女"),
    ("WGF", "19080101", "男"),
    ("WFB", "19360101", "男"),
    ("WFBS", "19610101", "男"),
    ("X2", "19750101", "女"),
    ("H2", "19730101", "男"),
    ("HF2", "19480101", "男"),
    ("HM2", "19500101", "女"),
    ("H2B", "19700101", "男"),
    ("H2BW", "19710101", "女"),
    ("H2b", "19780101", "男"),
    ("H2S", "19800101", "女"),
    ("H2SH", "19790101", "男"),
    ("H2Z", "19720101", "女"),
    ("TWIN", "19600301", "男"),
]:
    P(key, birth, sex)

PERSONS = [
    row("X", "HA", "户主"),
    row("W", "HA", "配偶"),
    row("S", "HA", "子"),
    row("SW", "HA", "儿媳"),
    row("GS", "HA", "孙子"),
    row("DH", "HD", "户主"),
    row("D", "HD", "配偶"),
    row("DHF", "HD", "父亲"),
    row("DHM", "HD", "母亲"),
    row("GD", "HD", "女"),
    row("F", "HP", "户主"),
    row("M", "HP", "配偶"),
    row("GF", "HP", "父亲"),
    row("GGF", "HGG", "户主"),
    row("MGM", "HMG", "户主"),
    row("MGF", "HMG", "配偶"),
    row("B1", "HB1", "户主"),
    row("B1W", "HB1", "配偶"),
    row("N1", "HB1", "子"),
    row("N2", "HB1", "女"),
    row("B1WF", "HB1F", "户主"),
    row("ZH", "HZ", "户主"),
    row("Z1", "HZ", "配偶"),
    row("ZD", "HZ", "女"),
    row("ZS", "HZ", "子"),
    row("FB", "HFB", "户主"),
    row("FBS", "HFB", "子"),
    row("FB2", "HFB2", "户主"),
    row("FB2D", "HFB2", "女"),
    row("FS", "HFS", "户主"),
    row("FSS", "HFS", "子"),
    row("FSD", "HFS", "女"),
    row("FSSW", "HFS", "儿媳"),
    row("MB", "HMB", "户主"),
    row("MBS", "HMB", "子"),
    row("MS", "HMS", "户主"),
    row("MSD", "HMS", "女"),
    row("WF", "HW", "户主"),
    row("WM", "HW", "配偶"),
    row("WGF", "HW", "父亲"),
    row("WB", "HWB", "户主"),
    row("WBW", "HWB", "配偶"),
    row("WB2", "HWB2", "户主"),
    row("WB2W", "HWB2", "配偶"),
    row("WSH", "HWS", "户主"),
    row("WS", "HWS", "配偶"),
    row("WS2", "HWS2", "户主"),
    row("WFB", "HWFB", "户主"),
    row("WFBS", "HWFB", "子"),
    row("H2", "H2", "户主"),
    row("X2", "H2", "配偶"),
    row("HF2", "H2P", "户主"),
    row("HM2", "H2P", "配偶"),
    row("H2B", "H2B", "户主"),
    row("H2BW", "H2B", "配偶"),
    row("H2b", "H2b", "户主"),
    row("H2SH", "H2S", "户主"),
    row("H2S", "H2S", "配偶"),
    row("H2Z", "H2Z", "户主"),
    row("TWIN", "HT", "户主", name="X"),  # same name and birthday as X, unrelated
]
RELATIONS = [
    R("X", "F", "父"),
    R("X", "M", "母"),
    R("D", "X", "父"),
    R("GGF", "GF", "子"),
    R("M", "MGM", "母"),
    R("B1", "F", "父"),
    R("B1W", "B1WF", "父"),
    R("Z1", "F", "父"),
    R("Z1", "M", "母"),
    R("FB", "GF", "父"),
    R("FB2", "GF", "父"),
    R("FS", "GF", "父"),
    R("MB", "MGM", "母"),
    R("MS", "MGF", "父"),
    R("W", "WF", "父"),
    R("W", "WM", "母"),
    R("WB", "WF", "父"),
    R("WB2", "WF", "父"),
    R("WS", "WM", "母"),
    R("WS2", "WF", "父"),
    R("WFB", "WGF", "父"),
    R("DH", "DHF", "子") if False else R("DHF", "DH", "子"),
    R("H2", "HF2", "父"),
    R("H2", "HM2", "母"),
    R("H2B", "H2", "弟"),
    R("H2b", "H2", "兄"),
    R("H2S", "HF2", "父"),
    R("H2Z", "HM2", "母"),
]

EXPECTED_X = {
    "W": ("配偶", "妻子"),
    "F": ("父母", "父亲"),
    "M": ("父母", "母亲"),
    "S": ("子女", "儿子"),
    "D": ("子女", "女儿"),
    "B1": ("兄弟姐妹", "哥哥"),
    "Z1": ("兄弟姐妹", "妹妹"),
    "GF": ("祖父母", "祖父"),
    "MGM": ("外祖父母", "外祖母"),
    "MGF": ("外祖父母", "外祖父"),
    "GS": ("孙子女", "孙子"),
    "GD": ("外孙子女", "外孙女"),
    "FB": ("伯叔姑舅姨", "伯父"),
    "FB2": ("伯叔姑舅姨", "叔父"),
    "FS": ("伯叔姑舅姨", "姑妈"),
    "MB": ("伯叔姑舅姨", "舅舅"),
    "MS": ("伯叔姑舅姨", "姨妈"),
    "FBS": ("堂兄弟姐妹", "堂兄"),
    "FB2D": ("堂兄弟姐妹", "堂妹"),
    "FSS": ("表兄弟姐妹", "表弟"),
    "FSD": ("表兄弟姐妹", "表姐"),
    "MSD": ("表兄弟姐妹", "表姐"),
    "MBS": ("表兄弟姐妹", "表弟"),
    "N1": ("侄子女", "侄子"),
    "N2": ("侄子女", "侄女"),
    "ZD": ("甥子女", "外甥女"),
    "ZS": ("甥子女", "外甥"),
    "WF": ("配偶的父母", "岳父"),
    "WM": ("配偶的父母", "岳母"),
    "WB": ("配偶的兄弟姐妹及其配偶", "内兄"),
    "WB2": ("配偶的兄弟姐妹及其配偶", "内弟"),
    "WS": ("配偶的兄弟姐妹及其配偶", "小姨子"),
    "WS2": ("配偶的兄弟姐妹及其配偶", "大姨子"),
    "WSH": ("配偶的兄弟姐妹及其配偶", "连襟"),
    "WBW": ("配偶的兄弟姐妹及其配偶", "内嫂"),
    "WB2W": ("配偶的兄弟姐妹及其配偶", "内弟媳"),
    "SW": ("子女的配偶及其父母", "儿媳"),
    "DH": ("子女的配偶及其父母", "女婿"),
    "DHF": ("子女的配偶及其父母", "亲家公"),
    "DHM": ("子女的配偶及其父母", "亲家母"),
}
EXPECTED_X2 = {
    "H2": ("配偶", "丈夫"),
    "HF2": ("配偶的父母", "公公"),
    "HM2": ("配偶的父母", "婆婆"),
    "H2B": ("配偶的兄弟姐妹及其配偶", "大伯子"),
    "H2b": ("配偶的兄弟姐妹及其配偶", "小叔子"),
    "H2S": ("配偶的兄弟姐妹及其配偶", "小姑子"),
    "H2Z": ("配偶的兄弟姐妹及其配偶", "大姑子"),
    "H2BW": ("配偶的兄弟姐妹及其配偶", "妯娌"),
    "H2SH": ("配偶的兄弟姐妹及其配偶", "小姑子的丈夫"),
}
DECOYS_X = {
    "B1W": "嫂子",
    "ZH": "妹夫",
    "GGF": "曾祖父",
    "B1WF": "兄弟的岳父",
    "WFBS": "配偶的堂兄弟",
    "FSSW": "表兄弟的配偶",
    "TWIN": "同名同姓同生日的他人",
    "WFB": "配偶的伯叔",
    "WGF": "配偶的祖父",
}


@pytest.fixture(scope="module")
def kin():
    ctx = make_ctx(persons=PERSONS, relations=RELATIONS)
    assert ctx.rejects.empty, ctx.rejects
    return build_kinship(ctx.table("persons"), ctx.table("relations"))


def _found(kin, who):
    rel = kin.relatives([PEOPLE[who]])
    back = {v: k for k, v in PEOPLE.items()}
    return {back.get(y, y): (c, t) for y, c, t in zip(rel.y, rel.category, rel.kinship_term)}, rel


@pytest.mark.parametrize("key", sorted(EXPECTED_X))
def test_male_official_every_category_and_term(kin, key):
    found, _ = _found(kin, "X")
    assert found.get(key) == EXPECTED_X[key]


@pytest.mark.parametrize("key", sorted(EXPECTED_X2))
def test_female_official_in_laws(kin, key):
    found, _ = _found(kin, "X2")
    assert found.get(key) == EXPECTED_X2[key]


@pytest.mark.parametrize("key", sorted(DECOYS_X))
def test_decoys_are_not_close_relatives(kin, key):
    found, _ = _found(kin, "X")
    assert key not in found, f"{DECOYS_X[key]} must not count"


def test_nothing_beyond_the_expected(kin):
    found, _ = _found(kin, "X")
    assert set(found) == set(EXPECTED_X)


def test_path_names_each_step_and_person(kin):
    _, rel = _found(kin, "X")
    path = rel.set_index("y").loc[PEOPLE["WSH"], "path"]
    assert path[:3] == [PEOPLE["X"], "妻", PEOPLE["W"]] and path[4] in (PEOPLE["WF"], PEOPLE["WM"])
    assert path[5:] == ["女", PEOPLE["WS"], "夫", PEOPLE["WSH"]]
    assert len(path) == 9  # a 4-step chain (配偶的姐妹的配偶)


def test_targets_give_the_rows_of_the_full_answer_among_them(kin):
    anchors = [PEOPLE["X"], PEOPLE["X2"]]
    full = kin.relatives(anchors)
    # a few relatives of each kind, a decoy and someone unrelated: the answer is the full one filtered
    wanted = [PEOPLE[k] for k in ("W", "WSH", "FBS", "WGF")] + [PEOPLE[k] for k in sorted(DECOYS_X)[:2]]
    some = kin.relatives(anchors, targets=wanted)
    expect = full[full.y.isin(wanted)].reset_index(drop=True)
    assert len(expect) >= 3
    pd.testing.assert_frame_equal(some, expect)
    assert kin.relatives(anchors, targets=[]).empty


def test_civil_code_definition_is_narrower(kin):
    rel = kin.relatives([PEOPLE["X"]], CATEGORIES_CIVIL_CODE)
    assert set(rel.category) == set(CATEGORIES_CIVIL_CODE)
    assert PEOPLE["FBS"] not in set(rel.y)


def test_virtual_link_persons_and_ambiguity_are_explicit():
    a, b, c, d = pid("19400101", 901), pid("19650101", 903), pid("19670101", 905), pid("19900101", 907)
    e = pid("19150101", 909)
    ctx = make_ctx(
        persons=[
            person(a, "H", "户主"),
            person(b, "H", "子"),
            person(c, "H", "子"),
            person(d, "H", "孙子"),
            person(e, "H", "祖父"),
            person(pid("19700101", 911), "H", "其他"),
        ]
    )
    k = build_kinship(ctx.table("persons"))
    # the grandson cannot be given to either son: a virtual son links him to the head, and it is reported
    assert "多个儿子" in k.ambiguities.set_index("person_id").loc[d, "reason"]
    rel = k.relatives([d]).set_index("y")
    assert rel.loc[a, "kinship_term"] == "祖父" and not rel.loc[a, "uncertain"]
    assert rel.loc[b, "uncertain"] and rel.loc[c, "uncertain"]  # father or uncle: close either way, flagged
    # the head's 祖父 hangs off a virtual father (not recorded in the register)
    assert k.relatives([a]).set_index("y").loc[e, "kinship_term"] == "祖父"
    assert k.nodes.loc[f"~父:{a}", "virtual"]
    # 其他 is never linked
    assert pid("19700101", 911) not in set(k.edges.a) | set(k.edges.b)


def test_ego_graph_labels(kin):
    G = kin.ego_graph(PEOPLE["X"], radius=2)
    assert G.nodes[PEOPLE["X"]]["kinship_term"] == "本人"
    assert G.nodes[PEOPLE["GF"]]["kinship_term"] == "祖父"
    assert any(d["label"] == "配偶" for _, _, d in G.edges(data=True))


def test_the_kinship_chart_reads_like_a_family_tree():
    """Generations in rows: parents above the official, children below, spouses and siblings beside."""
    import networkx as nx

    from audit.figures import generations, kinship_network, tree_layout

    G = nx.MultiDiGraph()
    for parent, child in (("fa", "me"), ("mo", "me"), ("fa", "bro"), ("me", "kid"), ("gp", "fa")):
        G.add_edge(parent, child, kind="parent", label="父母")
    G.add_edge("fa", "mo", kind="spouse", label="配偶")
    G.add_edge("me", "wife", kind="spouse", label="配偶")
    assert generations(G, "me") == {"fa": -1, "mo": -1, "me": 0, "bro": 0, "wife": 0, "kid": 1, "gp": -2}
    y = {n: p[1] for n, p in tree_layout(G, "me").items()}
    assert y["gp"] > y["fa"] == y["mo"] > y["me"] == y["wife"] == y["bro"] > y["kid"]
    fig = kinship_network(G, "me", ["me", "mo"], officials={"me"}, beneficiaries={"mo"})
    legend = {t.name for t in fig.data if t.showlegend}
    assert {"干部本人", "低保保障对象", "亲属关系路径"} <= legend


def test_a_pair_linked_twice_shows_the_link_person_first_by_id_whatever_the_register_order():
    """Siblings share a father and a mother: the chain shown goes through the parent whose ID sorts first,
    not through whichever parent the register lists first."""
    x, y = pid("19600101", 301), pid("19620101", 303)
    father, mother = pid("19300101", 305), pid("19350101", 306)
    assert father < mother
    ctx = make_ctx(
        persons=[
            person(x, "H", "户主"),
            person(mother, "H", "母亲", sex="女"),
            person(father, "H", "父亲", sex="男"),
            person(y, "H", "弟"),
        ]
    )
    rel = build_kinship(ctx.table("persons")).relatives([x]).set_index("y")
    assert rel.loc[y, "pattern"] == "UD" and rel.loc[y, "n1"] == father
    assert rel.loc[y, "path"][:3] == [x, "父", father]


def test_parents_and_children_are_two_views_of_the_same_recorded_edges(kin):
    """children_of(parents) and parents_of(children) return the same (a, b) rows: X's children S and D (and
    their children GS, GD through them — not X's), and X's own parents F and M; a virtual parent is never one."""
    back = {v: k for k, v in PEOPLE.items()}
    kids = kin.children_of([PEOPLE["X"], PEOPLE["S"]])
    assert {(back[a], back[b]) for a, b in zip(kids.a, kids.b)} >= {("X", "S"), ("X", "D"), ("S", "GS")}
    assert not {("X", "GS"), ("X", "GD")} & {(back[a], back[b]) for a, b in zip(kids.a, kids.b)}
    parents = kin.parents_of(list(kids.b))
    assert set(zip(kids.a, kids.b)) <= set(zip(parents.a, parents.b))
    assert {back[a] for a in kin.parents_of([PEOPLE["X"]]).a} == {"F", "M"}
    assert not any(a.startswith("~") for a in parents.a) and list(parents.a) == sorted(parents.a)
    assert kin.children_of(["不存在的人"]).empty
