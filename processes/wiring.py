"""Puts the core together: importing this module registers every after-commit listener with the executor.

The web app, the timer worker and the CLI import it once; a test or a script that drives the core directly imports
`processes.cases`, which imports it too, so a verb never runs without the listeners its events need.
"""
from __future__ import annotations

from . import attachments, award_history, case_notifications, rollup  # noqa: F401  (each registers its listeners)
