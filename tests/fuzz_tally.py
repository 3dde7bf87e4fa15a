"""Counts kept by the fuzz suites and printed at the end of the run (conftest.pytest_terminal_summary)."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

TALLY: Counter = Counter()


@contextmanager
def tried(kind: str):
    """Count one generated file; an exception other than a clear InputError counts as a traceback."""
    from audit.errors import InputError

    TALLY[f"{kind}:files"] += 1
    try:
        yield TALLY
    except InputError:
        TALLY[f"{kind}:clear_errors"] += 1
        raise
    except Exception:
        TALLY[f"{kind}:tracebacks"] += 1
        raise
