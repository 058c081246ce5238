"""The Dev loop: pick a build context, watch it, and see every save become a pushed image.

Builds run on the app's event loop as a worker (the heavy parts in threads inside the
builder); the screen only shows state, the streaming log and the last results. Leaving it
stops the watcher.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Log, OptionList, Static
from textual.widgets.option_list import Option

from acrtui.build.backends import BuildOutcome, BuildRequest, NativeBackend, Target
from acrtui.build.cache import BuildCache
from acrtui.build.commands import parse_targets
from acrtui.build.errors import BuildError
from acrtui.build.registry import RegistryStore
from acrtui.build.watch import WatchEvent, Watcher
from acrtui.client import RegistryClient
from acrtui.resources import MissingResource, sample_registry_dir
from acrtui.tui.formatting import human_size, short_digest

RESULTS_KEPT = 20


def sample_contexts() -> list[Path]:
    """The build contexts shipped in sample-registry/contexts."""
    try:
        root = sample_registry_dir() / "contexts"
    except MissingResource:
        return []
    return sorted(p for p in root.iterdir() if (p / "Dockerfile").is_file())


class DevLoopScreen(Screen[tuple[str, str] | None]):
    """Dismisses with (repository, tag) to show the last pushed tag in the tag tree."""

    CSS_PATH = "devloop.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="devloop.close"),
        Binding("w", "toggle_watch", "Watch / stop", id="devloop.watch"),
        Binding("b", "build_now", "Build now", id="devloop.build"),
        Binding("t", "go_to_tag", "Show pushed tag", id="devloop.tag"),
    ]

    def __init__(self, client: RegistryClient, contexts: list[Path], *, read_only: bool = False) -> None:
        super().__init__()
        self.client = client
        self.contexts = contexts
        self.read_only = read_only
        self.backend = NativeBackend(RegistryStore(client), BuildCache(), on_step=self._on_step)
        self.watcher: Watcher | None = None
        self.last_pushed: tuple[str, str] | None = None
        self.state = "idle"

    def compose(self) -> ComposeResult:
        with Horizontal(id="devloop"):
            with Vertical(id="devloop-side"):
                yield Static("Contexts", classes="devloop-heading")
                yield OptionList(*[Option(str(p.name), id=str(p)) for p in self.contexts], id="devloop-contexts")
                yield Static("Push to", classes="devloop-heading")
                yield Input(placeholder="REPO:TAG", id="devloop-tag")
                yield Static("", id="devloop-state")
            with Vertical(id="devloop-main"):
                yield Log(id="devloop-log", highlight=False, max_lines=5000)
                yield DataTable(id="devloop-results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#devloop-results", DataTable)
        table.add_columns("#", "finished", "tag", "digest", "time", "sent")
        options = self.query_one("#devloop-contexts", OptionList)
        if self.contexts:
            options.highlighted = 0
        self._set_state("idle" if self.contexts else "no build contexts found; sample-registry/contexts is missing")
        options.focus()

    async def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        await self.backend.close()

    # -- what is chosen -------------------------------------------------------------------

    @property
    def context(self) -> Path | None:
        options = self.query_one("#devloop-contexts", OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return Path(option_id) if option_id else None

    @on(OptionList.OptionHighlighted, "#devloop-contexts")
    def _context_changed(self, event: OptionList.OptionHighlighted) -> None:
        name = Path(event.option.id or "").name
        self.query_one("#devloop-tag", Input).value = f"dev/{name}:dev"

    def _target(self) -> Target | None:
        text = self.query_one("#devloop-tag", Input).value.strip()
        try:
            return parse_targets([text])[0]
        except BuildError as exc:
            self._set_state(f"failed: {exc.message}", error=True)
            return None

    # -- actions ---------------------------------------------------------------------------

    def _choice(self) -> tuple[Path, Target] | None:
        """The context and tag to build, or None (with the reason shown) when there is none."""
        if self.read_only:
            self._set_state("this session is read-only, so the Dev loop cannot push; open a profile without read_only", error=True)
            return None
        context, target = self.context, self._target()
        if context is None or target is None:
            return None
        return context, target

    def action_toggle_watch(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            return
        choice = self._choice()
        if choice is None:
            return
        context, target = choice
        self.watcher = Watcher(context, context / "Dockerfile", lambda: self._build(context, target), self._report)
        self.query_one("#devloop-log", Log).write_line(f"watching {context}")
        self._set_state("watching")
        self.run_worker(self._watch(self.watcher), group="devloop-watch", exclusive=True, exit_on_error=False)

    async def _watch(self, watcher: Watcher) -> None:
        try:
            await watcher.run()
        finally:
            self.watcher = None
            self._set_state("idle")

    def action_build_now(self) -> None:
        if self.watcher is not None:
            self.watcher.trigger()
            return
        choice = self._choice()
        if choice is None:
            return
        self.run_worker(self._build_once(*choice), group="devloop-build", exclusive=True, exit_on_error=False)

    async def _build_once(self, context: Path, target: Target) -> None:
        started = time.monotonic()
        self._report(WatchEvent("building", 0))
        try:
            outcome = await self._build(context, target)
        except BuildError as exc:
            self._report(WatchEvent("failed", 0, time.monotonic() - started, error=exc))
            return
        self._report(WatchEvent("built", 0, time.monotonic() - started, outcome=outcome))

    def action_go_to_tag(self) -> None:
        if self.last_pushed is None:
            self._set_state("nothing pushed yet; press w to watch or b to build", error=True)
            return
        self.dismiss(self.last_pushed)

    def action_close(self) -> None:
        self.dismiss(None)

    # -- builds ----------------------------------------------------------------------------

    async def _build(self, context: Path, target: Target) -> BuildOutcome:
        self.query_one("#devloop-log", Log).clear()
        self._current = target
        return await self.backend.run(BuildRequest(context=context, targets=[target]), self._log_line)

    def _log_line(self, line: str) -> None:
        self.query_one("#devloop-log", Log).write_line(line)

    def _on_step(self, number: int, total: int, text: str) -> None:
        self._set_state(f"building step {number} of {total}")

    def _report(self, event: WatchEvent) -> None:
        log = self.query_one("#devloop-log", Log)
        if event.kind == "building":
            self._set_state("building")
        elif event.kind == "cancelled":
            log.write_line("cancelled by a newer save")
        elif event.kind == "failed":
            assert event.error is not None
            if event.error.log:
                log.write_lines(event.error.log.splitlines())
            self._set_state(f"failed: {event.error.message}", error=True)
        elif event.kind == "built":
            outcome = event.outcome
            assert isinstance(outcome, BuildOutcome)
            target = self._current
            self.last_pushed = (target.repository, target.tag)
            self._set_state(f"pushed {target.repository}:{target.tag} {outcome.digest[:19]} in {event.seconds:.2f}s")
            table = self.query_one("#devloop-results", DataTable)
            table.add_row(str(table.row_count + 1), time.strftime("%H:%M:%S"), f"{target.repository}:{target.tag}",
                          short_digest(outcome.digest), f"{event.seconds:.2f}s", human_size(outcome.bytes_sent))
            while table.row_count > RESULTS_KEPT:
                table.remove_row(next(iter(table.rows)))
            table.move_cursor(row=table.row_count - 1)

    def _set_state(self, text: str, *, error: bool = False) -> None:
        self.state = text
        widget = self.query_one("#devloop-state", Static)
        widget.set_class(error, "-error")
        widget.update(Text(text))

