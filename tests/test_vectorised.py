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
