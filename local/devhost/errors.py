"""The one error that stops the dev host at start-up."""

from __future__ import annotations


class StartupError(Exception):
    """The dev host cannot start; the message is one line that says what to fix.

    `python -m local.devhost` prints it to stderr and exits with status 2.
    """
