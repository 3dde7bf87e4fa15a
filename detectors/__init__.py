"""Detectors, one module per RULES.md family; importing this package fills the registry.

New family modules are added to this one explicit import list (no entry points).
"""

from __future__ import annotations

from detectors import award, card, cover, data_quality, eligibility, kin, privacy, recheck, vote  # noqa: F401
from detectors.base import REGISTRY, Finding, Severity, all_detectors, detector

__all__ = ["REGISTRY", "Finding", "Severity", "all_detectors", "detector"]
