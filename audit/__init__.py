"""低保审计工具: loading, validation, orchestration, scoring, reports and the CLI."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
