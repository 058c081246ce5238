"""Acting on a cursor once it rests: moving through a list must not start a load per row."""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import DOMNode
from textual.timer import Timer


class Debounced:
    """Call `callback` `delay` seconds after the last `poke()`; `pending` until it has."""

    def __init__(self, node: DOMNode, delay: float, callback: Callable[[], None]) -> None:
        self._node = node
        self._delay = delay
        self._callback = callback
        self._timer: Timer | None = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def poke(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._node.set_timer(self._delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._callback()
