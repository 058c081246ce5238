"""The Inspector pane: what a manifest is made of.

An image shows its config summary and its layers with the history line that made each; an
index first offers a platform picker; choosing a layer opens the merged file tree at that layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Select, Static

from acrtui.client import FetchedManifest
from acrtui.oci import mediatypes as mt
from acrtui.oci.config import HistoryEntry, ImageConfig, pair_layers_with_history
from acrtui.oci.manifest import Descriptor, Manifest
from acrtui.tui.messages import ManifestMeasured
from acrtui.tui.formatting import human_age, human_size, short_digest
from acrtui.tui.widgets.filetree import FileTreeView
from acrtui.tui.widgets.navigation import NavTable
from acrtui.tui.work import start

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp

PREFERRED_PLATFORM = "linux/amd64"


@dataclass
class Inspected:
    """The image on display: what the file tree needs to merge its layers."""

    repository: str
    digest: str
    manifest: Manifest
    config: ImageConfig | None


class InspectorPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pick_platform", "Platform", id="inspector.platform"),
        Binding("escape", "close_files", "Close files", show=False, id="inspector.close-files"),
    ]
    BORDER_TITLE = "3 Inspector"

    def __init__(self) -> None:
        super().__init__(id="inspector", classes="pane")
        self.repository: str | None = None
        self.current: Inspected | None = None
        self.index: FetchedManifest | None = None  # the index whose platform is on display

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("Choose a tag to inspect.", id="inspector-summary")
        yield Select[str]([], id="platform-picker", prompt="Platform", allow_blank=True, compact=True)
        table = NavTable(id="layers-table", cursor_type="row")
        table.add_column("#", key="index")
        table.add_column("Size", key="size")
        table.add_column("Created by", key="history")
        yield table
        yield FileTreeView()

    def on_mount(self) -> None:
        self.query_one("#platform-picker").display = False

    @property
    def layers_table(self) -> DataTable:
        return self.query_one("#layers-table", DataTable)

    @property
    def files(self) -> FileTreeView:
        return self.query_one(FileTreeView)

    def clear(self, text: str = "Choose a tag to inspect.") -> None:
        self.repository = None
        self.current = None
        self.index = None
        self.query_one("#inspector-summary", Static).update(text)
        self.query_one("#platform-picker").display = False
        self.layers_table.clear()
        self.files.close()

    def show_manifest(self, repository: str, digest: str) -> None:
        self.repository = repository
        self.loading = True
        start(self, self._load_top, repository, digest, group="inspect")

    async def _load_top(self, repository: str, digest: str) -> None:
        try:
            await self._show_top(repository, digest)
        except Exception:
            # What was on display belongs to another manifest; the status line says what failed.
            self.clear(f"{repository}@{short_digest(digest)} cannot be shown.")
            raise
        finally:
            self.loading = False

    async def _show_top(self, repository: str, digest: str) -> None:
        fetched = await self.acr.client.get_manifest(repository, digest)
        self.index = fetched if fetched.manifest.is_index else None
        picker: Select[str] = self.query_one("#platform-picker", Select)
        if fetched.manifest.is_index:
            options = [(self._platform_label(d), d.digest) for d in fetched.manifest.manifests]
            chosen = self._preferred(fetched.manifest.manifests)
            with picker.prevent(Select.Changed):
                picker.set_options(options)
                picker.value = chosen if chosen is not None else Select.BLANK
            picker.display = True
            if chosen is None:
                self._show_summary(fetched, None)
                return
            child = await self.acr.client.get_manifest(repository, chosen)
            await self._show_image(repository, child, index=fetched)
        else:
            picker.display = False
            await self._show_image(repository, fetched, index=None)

    @staticmethod
    def _platform_label(descriptor: Descriptor) -> str:
        return str(descriptor.platform) if descriptor.platform else short_digest(descriptor.digest)

    @staticmethod
    def _preferred(children: tuple[Descriptor, ...]) -> str | None:
        for child in children:
            if child.platform and str(child.platform) == PREFERRED_PLATFORM:
                return child.digest
        return children[0].digest if children else None

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.repository is None or event.value is Select.BLANK:
            return
        self.loading = True
        start(self, self._load_platform, self.repository, str(event.value), group="inspect")

    async def _load_platform(self, repository: str, digest: str) -> None:
        try:
            child = await self.acr.client.get_manifest(repository, digest)
            await self._show_image(repository, child, index=self.index)
        except Exception:
            self.clear(f"{repository}@{short_digest(digest)} cannot be shown.")
            raise
        finally:
            self.loading = False

    def action_pick_platform(self) -> None:
        picker = self.query_one("#platform-picker", Select)
        if picker.display:
            picker.focus()
            picker.expanded = True
        else:
            self.acr.show_status("This manifest is not an index; it has no platforms to pick.")

    async def _show_image(self, repository: str, fetched: FetchedManifest, index: FetchedManifest | None) -> None:
        manifest = fetched.manifest
        config: ImageConfig | None = None
        if manifest.config is not None and manifest.config.media_type in _IMAGE_CONFIGS:
            config = await self.acr.client.get_config(repository, manifest)
        self.current = Inspected(repository, fetched.digest, manifest, config)
        self.post_message(ManifestMeasured((index or fetched).digest, manifest.layer_size))
        self._show_summary(fetched, config, index)
        table = self.layers_table
        table.clear()
        history = config.history if config is not None else []
        for number, (layer, entry) in enumerate(pair_layers_with_history(manifest.layers, history), start=1):
            table.add_row(
                Text(str(number), justify="right"),
                Text(human_size(layer.size), justify="right"),
                _history_line(entry, layer),
                key=layer.digest + f"#{number}",
            )
        self.files.close()

    def _show_summary(self, fetched: FetchedManifest, config: ImageConfig | None, index: FetchedManifest | None = None) -> None:
        manifest = fetched.manifest
        head = Text.assemble(("Digest ", "bold"), f"sha256:{short_digest(fetched.digest)}")
        if index is not None:
            head.append_text(Text.assemble(("  Index ", "bold"), f"{short_digest(index.digest)} ({len(index.manifest.manifests)} platforms)"))
        lines = [head]
        if manifest.artifact_type or (manifest.config and config is None and not manifest.is_index):
            lines.append(Text.assemble(("Artifact ", "bold"), manifest.effective_artifact_type))
        if config is not None:
            platform = "/".join(p for p in (config.os, config.architecture, config.variant) if p) or "unknown"
            lines.append(
                Text.assemble(
                    ("Platform ", "bold"), platform,
                    ("  Created ", "bold"), human_age(config.created, self.acr.clock()),
                    ("  Size ", "bold"), human_size(manifest.layer_size),
                )
            )
            runtime = config.config
            run = (runtime.entrypoint or []) + (runtime.cmd or [])
            details = [f"workdir {runtime.working_dir}"] if runtime.working_dir else []
            details += [f"user {runtime.user}"] if runtime.user else []
            details += [f"{len(runtime.env)} env"] if runtime.env else []
            details += [f"{len(runtime.labels)} labels"] if runtime.labels else []
            details += ["ports " + ",".join(runtime.exposed_ports)] if runtime.exposed_ports else []
            lines.append(Text.assemble(("Runs ", "bold"), " ".join(run) or "–", ("  " if details else "", ""), " · ".join(details)))
        elif manifest.is_index:
            lines.append(Text(f"Index of {len(manifest.manifests)} manifests; none has a platform to show."))
        self.query_one("#inspector-summary", Static).update(Text("\n").join(lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.current is None:
            return
        self.files.open(self.current, event.cursor_row)

    def action_close_files(self) -> None:
        if self.files.display:
            self.files.close()
            self.layers_table.focus()


_IMAGE_CONFIGS = frozenset({mt.OCI_CONFIG, mt.DOCKER_CONFIG})


def _history_line(entry: HistoryEntry | None, layer: Descriptor) -> str:
    if entry is None:
        # Artifacts (charts, signatures, SBOMs) have no history: say what the blob is instead.
        return layer.annotations.get("org.opencontainers.image.title", "") or layer.media_type or short_digest(layer.digest)
    text = " ".join(entry.created_by.split())
    for prefix in ("/bin/sh -c #(nop) ", "/bin/sh -c "):
        if text.startswith(prefix):
            text = text[len(prefix):] if prefix.endswith("(nop) ") else "RUN " + text[len(prefix):]
            break
    return text or entry.comment or "–"
