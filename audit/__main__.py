"""``python -m audit`` runs the command-line interface."""

from __future__ import annotations

from audit.cli import main

raise SystemExit(main())
