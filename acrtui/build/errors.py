"""The one exception a build raises: its message is a single sentence for the user."""

from __future__ import annotations


class BuildError(Exception):
    """A build failed; `str(error)` says what failed and what to do. `log` holds output that
    explains it (a failing RUN's last lines), shown after the sentence."""

    def __init__(self, message: str, *, log: str = "", exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.log = log
        self.exit_code = exit_code
