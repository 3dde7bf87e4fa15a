"""Render times of the dashboard's 总览 and 案件详情 pages on a run folder (Streamlit AppTest, no browser).

    python bench/dashboard.py RUN_DIR

Prints the first render (cold caches), a second render of each page, and switching to other cases.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from streamlit.testing.v1 import AppTest

    from audit.auth import User

    os.environ["DIBAO_RUN_DIR"] = str(Path(sys.argv[1]).resolve())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["user"] = User("bench", "county")
    for label, page in (
        ("总览", None),
        ("总览（再次）", None),
        ("案件详情", "app_pages/case.py"),
        ("案件详情（再次）", "app_pages/case.py"),
    ):
        if page:
            at.switch_page(page)
        t0 = time.perf_counter()
        at.run()
        assert not at.exception, at.exception
        print(f"{label:<10} {time.perf_counter() - t0:6.2f} s")
    box = at.selectbox[0]
    for case_id in list(box.options)[5:8]:  # other cases: that case's rows are read from the store
        t0 = time.perf_counter()
        box.select(case_id).run()
        assert not at.exception, at.exception
        print(f"另一个案件   {time.perf_counter() - t0:6.2f} s")


if __name__ == "__main__":
    main()
