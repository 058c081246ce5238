"""Starting workers: every registry call runs off the render path, grouped by purpose.

A newer request in an exclusive group cancels the older one (a fresh tag listing supersedes the
previous repository's). Any failure goes to the app's single error line; nothing reaches the
user as a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from textual.dom import DOMNode
from textual.worker import Worker

T = TypeVar("T")


class WorkHost(Protocol):
    """What the app offers workers: a busy counter for the loading indicator and one error sink."""

    def begin_work(self, group: str) -> None: ...
    def end_work(self, group: str) -> None: ...
    def report_error(self, error: BaseException) -> None: ...


def start(
    node: DOMNode, work: Callable[..., Awaitable[T]], *args: Any, group: str, exclusive: bool = True
) -> Worker[T | None]:
    """Run `work(*args)` in a worker of `group` on behalf of `node`."""
    host = cast(WorkHost, node.app)

    async def guarded() -> T | None:
        host.begin_work(group)
        try:
            return await work(*args)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a crash
            host.report_error(exc)
            return None
        finally:
            host.end_work(group)

    return node.run_worker(guarded, group=group, exclusive=exclusive, exit_on_error=False)
