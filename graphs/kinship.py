"""The kinship graph: base relations inferred from the register, close-relative chains, ego graphs.

Base edges are ``parent`` (a is a parent of b) and ``spouse`` (stored both ways), each with the
``source`` it was inferred from. Where the register names a relative whose link person is not on
record (the head's 祖父 with no 父亲 in the household, a 孙子 when two sons live at home), a
*virtual* node (id starting with ``~``) stands in for the missing person and the case is listed in
``ambiguities`` — nothing is guessed silently. Close-relative chains are computed in DuckDB for a
set of anchor persons (the officials); networkx serves one person's ego graph.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import duckdb
import networkx as nx
import numpy as np
import pandas as pd

from graphs.terms import CATEGORIES_002, DEGREE, LINEAL, category, term

__all__ = ["Kinship", "build_kinship", "RELATIVE_COLUMNS"]

RELATIVE_COLUMNS = ["x", "y", "pattern", "n1", "n2", "n3", "category", "kinship_term", "degree", "lineal", "path",
                    "uncertain"]
STEP_ZH = {"U": "父母", "D": "子女", "S": "配偶"}


def _edges(a: pd.Series, b: pd.Series, kind: str, source: str) -> pd.DataFrame:
    return pd.DataFrame({"a": a.to_numpy(), "b": b.to_numpy(), "kind": kind, "source": source})


@dataclass
class Kinship:
    """Base edges, node attributes and the chains over them."""

    edges: pd.DataFrame                  # a, b, kind (parent|spouse), source
    nodes: pd.DataFrame                  # index person id: sex, birth, virtual, name
    ambiguities: pd.DataFrame            # household_id, person_id, relation, reason
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = duckdb.connect()
            con.register("kin_edges", self.edges)
            con.execute("CREATE TEMP TABLE up AS SELECT b AS c, a AS p FROM kin_edges WHERE kind = 'parent'")
            con.execute("CREATE TEMP TABLE sp AS SELECT a, b FROM kin_edges WHERE kind = 'spouse'")
            self._con = con
        return self._con

    def relatives(self, anchors: Iterable[str], categories: Iterable[str] = CATEGORIES_002) -> pd.DataFrame:
        """Every close relative y of each anchor x: category, kinship term (x's view), path.

        One row per (x, y): the closest chain wins (spouse before sibling before cousin).
        """
        anchors = pd.DataFrame({"x": pd.unique(pd.Series(list(anchors), dtype=object))})
        con = self.con
        con.register("anchors", anchors)
        q = con.execute(_CHAINS_SQL).df()
        con.unregister("anchors")
        q = q[~q.y.str.startswith("~") & (q.y != q.x)]
        if q.empty:
            return pd.DataFrame(columns=RELATIVE_COLUMNS)
        q["degree"] = q.pattern.map(DEGREE)
        q = q.sort_values(["x", "y", "degree", "pattern", "n1", "n2", "n3"], na_position="last")
        q = q.drop_duplicates(["x", "y"], keep="first").reset_index(drop=True)
        out = self._label(q)
        wanted = set(categories)
        return out[out.category.isin(wanted)].reset_index(drop=True)

    def _label(self, q: pd.DataFrame) -> pd.DataFrame:
        sex = self.nodes["sex"]
        birth = self.nodes["birth"]

        def s(col):
            return q[col].map(sex)

        def b(col):
            return pd.to_datetime(q[col].map(birth))

        def older(c1, c2):
            v1, v2 = b(c1), b(c2)
            return np.where(v1.isna() | v2.isna(), None, v1 < v2)

        cols = {
            "x_sex": s("x"), "n1_sex": s("n1"), "n2_sex": s("n2"), "n3_sex": s("n3"), "y_sex": s("y"),
            "y_older_than_x": older("y", "x"), "y_older_than_n1": older("y", "n1"),
            "y_older_than_spouse": older("y", "n1"), "n3_older_than_n1": older("n3", "n1"),
        }
        frame = pd.DataFrame(cols)
        frame["pattern"] = q.pattern.to_numpy()
        # a few hundred thousand rows at most (officials' relatives): label each distinct combination once
        keys = list(frame.columns)
        combos = frame.astype(object).where(frame.notna(), None).drop_duplicates()
        labels = {}
        for row in combos.itertuples(index=False):
            kw = dict(zip(keys, row))
            pat = kw.pop("pattern")
            labels[tuple(row)] = (category(pat, n1_sex=kw["n1_sex"], n2_sex=kw["n2_sex"], n3_sex=kw["n3_sex"]),
                                  term(pat, **kw))
        tup = list(frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None))
        lab = [labels[t] for t in tup]
        q["category"] = [c for c, _ in lab]
        q["kinship_term"] = [t for _, t in lab]
        q["lineal"] = q.pattern.isin(LINEAL)
        # a virtual link person stands for someone unrecorded or undetermined; a chain that goes back
        # down after it may end at that very person, so its category is uncertain
        virt = q[["n1", "n2", "n3"]].astype(str).apply(lambda c: c.str.startswith("~")).to_numpy()
        down_after = np.array([[("D" in pat[i + 1:]) for i in range(3)] for pat in q.pattern])
        q["uncertain"] = (virt & down_after).any(axis=1)
        q["path"] = [self._path(r, sex) for r in q[["x", "n1", "n2", "n3", "y", "pattern"]].itertuples(index=False)]
        return q[RELATIVE_COLUMNS]

    @staticmethod
    def _path(r, sex: pd.Series) -> list[str]:
        """[x, base relation, node, …, y]: each relation names what the next node is to the previous one."""
        nodes = [r.x, *(n for n in (r.n1, r.n2, r.n3) if isinstance(n, str)), r.y]
        out = [nodes[0]]
        for step, node in zip(r.pattern, nodes[1:]):
            male = sex.get(node) == "男"
            label = {"U": "父" if male else "母", "D": "子" if male else "女", "S": "夫" if male else "妻"}[step]
            if sex.get(node) is None:
                label = STEP_ZH[step]
            out += [label, node]
        return out

    def ego_graph(self, person_id: str, radius: int = 2) -> nx.MultiDiGraph:
        """The person's neighbourhood as a networkx graph, edges labelled with base relations.

        Nodes carry ``sex``, ``name``, ``virtual`` and, for close relatives of the ego, ``kinship_term``.
        """
        frontier, seen = {person_id}, {person_id}
        e = self.edges
        for _ in range(radius):
            hit = e[e.a.isin(frontier) | e.b.isin(frontier)]
            nxt = (set(hit.a) | set(hit.b)) - seen
            seen |= nxt
            frontier = nxt
        sub = e[e.a.isin(seen) & e.b.isin(seen)]
        G = nx.MultiDiGraph()
        terms = self.relatives([person_id]).set_index("y")["kinship_term"] if person_id in self.nodes.index else {}
        for n in seen:
            attrs = self.nodes.loc[n].to_dict() if n in self.nodes.index else {"virtual": True}
            G.add_node(n, **attrs, kinship_term="本人" if n == person_id else terms.get(n))
        for r in sub.itertuples(index=False):
            G.add_edge(r.a, r.b, kind=r.kind, label="父母" if r.kind == "parent" else "配偶", source=r.source)
        return G


_CHAINS_SQL = """
WITH d AS (SELECT p AS a, c AS b FROM up), u AS (SELECT c AS a, p AS b FROM up)
SELECT x, b AS y, 'S' pattern, NULL n1, NULL n2, NULL n3 FROM anchors JOIN sp ON a = x
UNION ALL SELECT x, u.b, 'U', NULL, NULL, NULL FROM anchors JOIN u ON u.a = x
UNION ALL SELECT x, d.b, 'D', NULL, NULL, NULL FROM anchors JOIN d ON d.a = x
UNION ALL SELECT x, d.b, 'UD', u.b, NULL, NULL FROM anchors JOIN u ON u.a = x JOIN d ON d.a = u.b
UNION ALL SELECT x, u2.b, 'UU', u.b, NULL, NULL FROM anchors JOIN u ON u.a = x JOIN u u2 ON u2.a = u.b
UNION ALL SELECT x, d2.b, 'DD', d.b, NULL, NULL FROM anchors JOIN d ON d.a = x JOIN d d2 ON d2.a = d.b
UNION ALL SELECT x, u.b, 'SU', sp.b, NULL, NULL FROM anchors JOIN sp ON sp.a = x JOIN u ON u.a = sp.b
UNION ALL SELECT x, sp.b, 'DS', d.b, NULL, NULL FROM anchors JOIN d ON d.a = x JOIN sp ON sp.a = d.b
UNION ALL SELECT x, d.b, 'UUD', u.b, u2.b, NULL FROM anchors JOIN u ON u.a = x JOIN u u2 ON u2.a = u.b
          JOIN d ON d.a = u2.b WHERE d.b <> u.b
UNION ALL SELECT x, d2.b, 'UDD', u.b, d.b, NULL FROM anchors JOIN u ON u.a = x JOIN d ON d.a = u.b
          JOIN d d2 ON d2.a = d.b WHERE d.b <> x
UNION ALL SELECT x, d.b, 'SUD', sp.b, u.b, NULL FROM anchors JOIN sp ON sp.a = x JOIN u ON u.a = sp.b
          JOIN d ON d.a = u.b WHERE d.b <> sp.b
UNION ALL SELECT x, u.b, 'DSU', d.b, sp.b, NULL FROM anchors JOIN d ON d.a = x JOIN sp ON sp.a = d.b
          JOIN u ON u.a = sp.b
UNION ALL SELECT x, d2.b, 'UUDD', u.b, u2.b, d.b FROM anchors JOIN u ON u.a = x JOIN u u2 ON u2.a = u.b
          JOIN d ON d.a = u2.b JOIN d d2 ON d2.a = d.b WHERE d.b <> u.b
UNION ALL SELECT x, sp2.b, 'SUDS', sp.b, u.b, d.b FROM anchors JOIN sp ON sp.a = x JOIN u ON u.a = sp.b
          JOIN d ON d.a = u.b JOIN sp sp2 ON sp2.a = d.b WHERE d.b <> sp.b
"""


# ---------------------------------------------------------------- inference from the register
_VIRTUAL_SEX = {"父": "男", "母": "女", "子": "男", "女": "女", "兄弟": None, "父母": None, "配偶": None}


def build_kinship(persons: pd.DataFrame, relations: pd.DataFrame | None = None) -> Kinship:
    """Infer base parent/spouse edges from 与户主关系 and the relations table.

    Parameters
    ----------
    persons : DataFrame
        person_id, household_id, relation_to_head, sex, birth_date (and name).
    relations : DataFrame, optional
        person_id, relative_id, relation (the relative is the person's …), source.

    Returns
    -------
    Kinship
    """
    p = persons[["person_id", "household_id", "relation_to_head", "sex", "birth_date"]].copy()
    if p.empty:
        nodes = pd.DataFrame(columns=["sex", "birth", "name", "virtual"])
        return Kinship(pd.DataFrame(columns=["a", "b", "kind", "source"], dtype=object), nodes,
                       pd.DataFrame(columns=["household_id", "person_id", "relation", "reason"]))
    amb: list[pd.DataFrame] = []
    n_heads = p[p.relation_to_head == "户主"].groupby("household_id").size()
    bad_hh = set(n_heads[n_heads > 1].index) | (set(p.household_id) - set(n_heads.index))
    if bad_hh:
        rows = p[p.household_id.isin(bad_hh)]
        amb.append(pd.DataFrame({"household_id": rows.household_id, "person_id": rows.person_id,
                                 "relation": rows.relation_to_head,
                                 "reason": "户内户主不是恰好一人，无法按与户主关系推断亲属关系"}))
    heads = p[(p.relation_to_head == "户主") & ~p.household_id.isin(bad_hh)][["household_id", "person_id"]]
    m = p[~p.household_id.isin(bad_hh)].merge(heads.rename(columns={"person_id": "h"}), on="household_id")
    rel = m.relation_to_head
    E: list[pd.DataFrame] = []

    def unique_member(codes: tuple[str, ...], label: str) -> pd.Series:
        """household -> the one member with one of ``codes``, else a virtual node named after the head."""
        cand = m[rel.isin(codes)]
        count = cand.groupby("household_id").size()
        one = cand[cand.household_id.isin(count[count == 1].index)].set_index("household_id").person_id
        virtual = "~" + label + ":" + m.set_index("household_id").h.groupby(level=0).first()
        return virtual.where(~virtual.index.isin(one.index), one.reindex(virtual.index))

    def multi(codes: tuple[str, ...]) -> set:
        c = m[rel.isin(codes)].groupby("household_id").size()
        return set(c[c > 1].index)

    spouse = unique_member(("配偶",), "配偶")
    father = unique_member(("父亲",), "父")
    mother = unique_member(("母亲",), "母")
    son = unique_member(("子",), "子")
    daughter = unique_member(("女",), "女")
    brother = unique_member(("兄", "弟"), "兄弟")

    def at(series: pd.Series, rows: pd.DataFrame) -> pd.Series:
        return rows.household_id.map(series)

    r = m[rel == "配偶"]
    E.append(_edges(r.h, r.person_id, "spouse", "户籍：户主的配偶"))
    r = m[rel.isin(["子", "女"])]
    E.append(_edges(r.h, r.person_id, "parent", "户籍：户主的子女"))
    sp_real = at(spouse, r)
    ok = ~sp_real.str.startswith("~")
    E.append(_edges(sp_real[ok], r.person_id[ok], "parent", "户籍推断：户主配偶的子女（再婚家庭可能为继子女）"))
    r = m[rel.isin(["父亲", "母亲"])]
    E.append(_edges(r.person_id, r.h, "parent", "户籍：户主的父母"))
    both = m[rel == "父亲"].household_id
    both = both[both.isin(m[rel == "母亲"].household_id)]
    E.append(_edges(both.map(father), both.map(mother), "spouse", "户籍推断：户主的父亲与母亲"))
    for codes, via, label, src in (
        (("祖父", "祖母"), father, "父", "户籍：户主的祖父母（经户主父亲）"),
        (("外祖父", "外祖母"), mother, "母", "户籍：户主的外祖父母（经户主母亲）"),
        (("公公", "婆婆", "岳父", "岳母"), spouse, "配偶", "户籍：户主配偶的父母"),
    ):
        r = m[rel.isin(codes)]
        E.append(_edges(r.person_id, at(via, r), "parent", src))
    for codes, via, src, amb_codes, why in (
        (("孙子", "孙女"), son, "户籍：户主的孙子女（经户主儿子）", ("子",), "户内有多个儿子，孙子女的父亲无法确定，以虚拟节点连接"),
        (("外孙子", "外孙女"), daughter, "户籍：户主的外孙子女（经户主女儿）", ("女",), "户内有多个女儿，外孙子女的母亲无法确定，以虚拟节点连接"),
        (("侄子", "侄女"), brother, "户籍：户主的侄子女（经户主兄弟）", ("兄", "弟"), "户内有多个兄弟，侄子女的父亲无法确定，以虚拟节点连接"),
    ):
        r = m[rel.isin(codes)]
        E.append(_edges(at(via, r), r.person_id, "parent", src))
        amb.append(_amb(r[r.household_id.isin(multi(amb_codes))], why))
    for codes, via, src, amb_codes, why in (
        (("儿媳",), son, "户籍：户主儿子的配偶", ("子",), "户内有多个儿子，儿媳的丈夫无法确定，以虚拟节点连接"),
        (("女婿",), daughter, "户籍：户主女儿的配偶", ("女",), "户内有多个女儿，女婿的妻子无法确定，以虚拟节点连接"),
    ):
        r = m[rel.isin(codes)]
        E.append(_edges(at(via, r), r.person_id, "spouse", src))
        amb.append(_amb(r[r.household_id.isin(multi(amb_codes))], why))
    # virtual link persons hang off the head
    virt = pd.concat([s for s in E], ignore_index=True)
    vnodes = pd.unique(pd.concat([virt.a, virt.b]).loc[lambda s: s.astype(str).str.startswith("~")])
    vkind = pd.Series(vnodes, dtype=object).str.extract(r"^~([^:]+):(.+)$")
    vk = pd.DataFrame({"v": vnodes, "kind": vkind[0].to_numpy(), "head": vkind[1].to_numpy()})
    up_k = vk[vk.kind.isin(["父", "母"])]
    E.append(_edges(up_k.v, up_k["head"], "parent", "虚拟：户籍未登记的户主父/母"))
    down_k = vk[vk.kind.isin(["子", "女"])]
    E.append(_edges(down_k["head"], down_k.v, "parent", "虚拟：户籍未登记或无法确定的户主子女"))
    sp_k = vk[vk.kind == "配偶"]
    E.append(_edges(sp_k["head"], sp_k.v, "spouse", "虚拟：户籍未登记的户主配偶"))
    sib = [m[rel.isin(["兄", "弟", "姐", "妹"])][["h", "person_id"]].set_axis(["s1", "s2"], axis=1).assign(src="户籍：户主的兄弟姐妹"),
           vk[vk.kind == "兄弟"][["head", "v"]].set_axis(["s1", "s2"], axis=1).assign(src="虚拟：侄子女的父亲（户主兄弟）")]
    if relations is not None and len(relations):
        rr = relations
        for codes, a, b, kind in ((("父", "母"), "relative_id", "person_id", "parent"),
                                  (("子", "女"), "person_id", "relative_id", "parent"),
                                  (("夫", "妻", "配偶"), "person_id", "relative_id", "spouse")):
            r = rr[rr.relation.isin(codes)]
            src = "亲属关系表（" + r.source.fillna("未注明来源").astype(str) + "）"
            E.append(pd.DataFrame({"a": r[a].to_numpy(), "b": r[b].to_numpy(), "kind": kind, "source": src.to_numpy()}))
        r = rr[rr.relation.isin(["兄", "弟", "姐", "妹", "兄弟姐妹"])]
        sib.append(pd.DataFrame({"s1": r.person_id.to_numpy(), "s2": r.relative_id.to_numpy(), "src": "亲属关系表：兄弟姐妹"}))
    edges = pd.concat(E, ignore_index=True).dropna(subset=["a", "b"]).astype({"a": str, "b": str})
    sexes = persons.set_index("person_id").sex
    edges = _resolve_virtual(edges, sexes)
    edges = pd.concat([edges, _co_parents(edges, sexes)], ignore_index=True)
    edges = pd.concat([edges, _sibling_edges(edges, pd.concat(sib, ignore_index=True))], ignore_index=True)
    sp = edges[edges.kind == "spouse"]
    edges = pd.concat([edges, sp.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
    edges = edges[edges.a != edges.b].drop_duplicates(["a", "b", "kind"]).reset_index(drop=True)
    nodes = persons.set_index("person_id")[["sex", "birth_date", "name"]].rename(columns={"birth_date": "birth"})
    nodes["virtual"] = False
    extra = pd.unique(pd.concat([edges.a, edges.b]))
    extra = extra[~pd.Index(extra).isin(nodes.index)]
    vn = pd.DataFrame(index=pd.Index(extra, name="person_id"))
    vn["sex"] = [(_VIRTUAL_SEX.get(str(v)[1:].split(":")[0]) if str(v).startswith("~") else None) for v in extra]
    vn["birth"] = pd.NaT
    vn["name"] = [("（未登记）" if str(v).startswith("~") else "（不在户籍中）") for v in extra]
    vn["virtual"] = [str(v).startswith("~") for v in extra]
    nodes = pd.concat([nodes, vn])
    ambiguities = pd.concat([a for a in amb if len(a)], ignore_index=True) if any(len(a) for a in amb) else \
        pd.DataFrame(columns=["household_id", "person_id", "relation", "reason"])
    return Kinship(edges, nodes, ambiguities)


def _amb(rows: pd.DataFrame, reason: str) -> pd.DataFrame:
    return pd.DataFrame({"household_id": rows.household_id, "person_id": rows.person_id,
                         "relation": rows.relation_to_head, "reason": reason})


def _resolve_virtual(edges: pd.DataFrame, sex: pd.Series) -> pd.DataFrame:
    """Replace ~父:h / ~母:h / ~配偶:h by the real person when another record names them."""
    virtual_a, virtual_b = edges.a.str.startswith("~"), edges.b.str.startswith("~")
    real = edges[~virtual_a & ~virtual_b]
    par = real[real.kind == "parent"]
    par_sex = par.a.map(sex)
    father = par[par_sex == "男"].drop_duplicates("b").set_index("b").a
    mother = par[par_sex == "女"].drop_duplicates("b").set_index("b").a
    sp = real[real.kind == "spouse"]
    spouse = pd.concat([sp.set_index("a").b, sp.set_index("b").a])
    spouse = spouse[~spouse.index.duplicated()]
    names = pd.unique(pd.concat([edges.a[virtual_a], edges.b[virtual_b]]))
    mapping = {}
    for v in names:
        kind, _, head = v[1:].partition(":")
        real_one = {"父": father, "母": mother, "配偶": spouse}.get(kind)
        if real_one is not None and head in real_one.index:
            mapping[v] = real_one[head]
    if mapping:
        edges = edges.assign(a=edges.a.replace(mapping), b=edges.b.replace(mapping))
    return edges


def _co_parents(edges: pd.DataFrame, sex: pd.Series) -> pd.DataFrame:
    """A recorded parent's spouse is the child's other parent when the child has none of that sex."""
    real = edges[~edges.a.str.startswith("~") & ~edges.b.str.startswith("~")]
    par = real[real.kind == "parent"][["a", "b"]].drop_duplicates()
    sp = real[real.kind == "spouse"][["a", "b"]]
    sp = pd.concat([sp, sp.rename(columns={"a": "b", "b": "a"})]).drop_duplicates()
    cand = par.merge(sp.rename(columns={"a": "p", "b": "q"}), left_on="a", right_on="p")[["q", "b"]]
    cand = cand.assign(sex=cand.q.map(sex))
    have = par.assign(sex=par.a.map(sex))[["b", "sex"]].drop_duplicates()
    cand = cand.merge(have, on=["b", "sex"], how="left", indicator=True)
    cand = cand[cand._merge == "left_only"].drop_duplicates(["q", "b"])
    return pd.DataFrame({"a": cand.q, "b": cand.b, "kind": "parent", "source": "推断：父/母的配偶（可能为继父母）"})


def _sibling_edges(edges: pd.DataFrame, sib: pd.DataFrame) -> pd.DataFrame:
    """Siblings share parents: copy known parents across the pair, or give both a virtual parent."""
    if sib.empty:
        return pd.DataFrame(columns=["a", "b", "kind", "source"])
    par = edges[edges.kind == "parent"][["a", "b"]].rename(columns={"a": "p", "b": "c"})
    out = []
    for s1, s2 in (("s1", "s2"), ("s2", "s1")):
        j = sib.merge(par, left_on=s1, right_on="c")
        out.append(pd.DataFrame({"a": j.p, "b": j[s2], "kind": "parent", "source": j.src + "（共同父母）"}))
    has = set(par.c)
    orphan = sib[~sib.s1.isin(has) & ~sib.s2.isin(has)]
    if len(orphan):
        G = nx.Graph()
        G.add_edges_from(zip(orphan.s1, orphan.s2))
        for comp in nx.connected_components(G):
            v = "~父母:" + min(comp)
            out.append(pd.DataFrame({"a": v, "b": sorted(comp), "kind": "parent", "source": "虚拟：兄弟姐妹的共同父母（未登记）"}))
    return pd.concat(out, ignore_index=True)
