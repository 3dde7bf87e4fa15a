"""Exception hierarchy; every message names the thing, what is allowed and what was found."""

from __future__ import annotations

__all__ = ["AuditError", "InputError", "ProfileError", "RegistryError", "ErrorCollector"]


class AuditError(Exception):
    """Root of every error the toolkit raises on purpose."""


class InputError(AuditError):
    """The workspace cannot be imported (missing table or column, unreadable file)."""


class ProfileError(AuditError):
    """A policy profile is malformed or lacks a parameter."""


class RegistryError(AuditError):
    """A detector is registered twice, undocumented or names an unknown parameter."""


class ErrorCollector:
    """Collect problems, then raise them all at once (pandera's lazy validation)."""

    def __init__(self, kind: type[AuditError], title: str) -> None:
        self.kind, self.title, self.problems = kind, title, []

    def add(self, message: str) -> None:
        self.problems.append(message)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            lines = "\n".join(f"  {i}. {p}" for i, p in enumerate(self.problems, 1))
            raise self.kind(f"{self.title}（共{len(self.problems)}处）：\n{lines}")
