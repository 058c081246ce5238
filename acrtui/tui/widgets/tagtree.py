"""The Tag tree pane: tags grouped by the manifest they point to, loaded a page at a time.

Sibling tags (several names for one digest) share a row. Expanding a manifest shows its tags
one by one, an index's platforms and the referrers (signatures, SBOMs) that name it as subject;
those are fetched only when the user expands, never up front.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.worker import Worker
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from acrtui.client import Locks, RegistryError, TagInfo
from acrtui.tui.debounce import Debounced
from acrtui.tui.filtering import Predicate
from acrtui.tui.formatting import human_age, human_size, short_digest
from acrtui.tui.messages import ManifestChosen, RegistryChanged
from acrtui.tui.widgets.navigation import NavTree
from acrtui.tui.widgets.paging import PagedPane
from acrtui.tui.work import start

if TYPE_CHECKING:
    from acrtui.tui.app import AcrApp

TAG_PAGE = 200
# The referrers tag schema's index tags (`sha256-<hex>`); their content shows under the subject.
REFERRERS_TAG = re.compile(r"^sha256-[0-9a-f]{64}(\..*)?$")
CHOOSE_DELAY = 0.15
MEASURE_CONCURRENCY = 4
# Fixed cell widths of the right-hand columns; the tag column takes what is left.
DIGEST_W, SIZE_W, AGE_W, LOCK_W = 12, 9, 6, 4
# Below this many cells for tag names the digest column is dropped (80-column terminals).
MIN_NAME_W = 18


def is_locked(locks: Locks | None) -> bool:
    return locks is not None and locks.locked


@dataclass
class Row:
    """What a tree node stands for."""

    kind: str  # "manifest" | "tag" | "platform" | "referrer"
    digest: str | None
    tags: list[TagInfo] = field(default_factory=list)
    size: int | None = None
    media_type: str = ""
    detail: str = ""  # platform ("linux/arm64") or artifact type of a referrer
    expanded_once: bool = False

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tags]

    @property
    def single_tag(self) -> TagInfo | None:
        return self.tags[0] if len(self.tags) == 1 else None

    @property
    def updated(self):
        times = [t.last_update or t.created for t in self.tags if (t.last_update or t.created)]
        return max(times) if times else None

    @property
    def locked(self) -> bool:
        return any(is_locked(t.locks) for t in self.tags)


class TagTree(NavTree):
    """A tree whose labels are laid out as columns that fit the current width."""

    def __init__(self) -> None:
        super().__init__("tags", id="tag-tree")
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def column_widths(self, depth: int) -> tuple[int, bool]:
        """Width of the name column for a node at `depth`, and whether the digest column fits."""
        width = self.scrollable_content_region.width - depth * self.guide_depth - 2
        rest = SIZE_W + AGE_W + LOCK_W + 3
        if width - rest - DIGEST_W - 1 >= MIN_NAME_W:
            return width - rest - DIGEST_W - 1, True
        return max(6, width - rest), False

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        row: Row | None = node.data
        if row is None:
            return super().render_label(node, base_style, style)
        depth = _depth(node)
        name_w, with_digest = self.column_widths(depth)
        if row.kind == "manifest":
            name = ", ".join(sorted(row.names)) if row.tags else "(untagged)"
        elif row.kind == "tag":
            name = f"tag {row.tags[0].name}"
        elif row.kind == "platform":
            name = row.detail
        else:
            name = f"↳ {row.detail or 'referrer'}"
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(_fit(name, name_w))
        if with_digest:
            label.append(" " + _fit(short_digest(row.digest), DIGEST_W), style="dim")
        label.append(" " + human_size(row.size).rjust(SIZE_W))
        label.append(" " + human_age(row.updated, self.acr.clock()).rjust(AGE_W))
        label.append(" " + ("lock" if row.locked else "").ljust(LOCK_W), style="bold")
        label.stylize(style)
        prefix = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        return Text.assemble((prefix if node.allow_expand else "  ", base_style), label)

    def header(self) -> str:
        name_w, with_digest = self.column_widths(1)
        parts = ["  " + _fit("Tags", name_w)]
        if with_digest:
            parts.append(_fit("Digest", DIGEST_W))
        parts += ["Size".rjust(SIZE_W), "Age".rjust(AGE_W), "Lock".ljust(LOCK_W)]
        return " ".join(parts)


def _depth(node: TreeNode) -> int:
    depth = 0
    while node.parent is not None:
        depth += 1
        node = node.parent
    return depth


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: max(0, width - 1)] + "…"


class TagsPane(PagedPane, Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy", "Copy ref", id="tags.copy"),
        Binding("d", "delete_tag", "Delete tag", id="tags.delete-tag"),
        Binding("D", "delete_manifest", "Delete manifest", id="tags.delete-manifest"),
        Binding("L", "toggle_lock", "Lock/unlock", id="tags.lock"),
        Binding("o", "toggle_order", "Newest first", id="tags.order"),
    ]
    BORDER_TITLE = "2 Tags"

    def __init__(self) -> None:
        super().__init__(id="tags", classes="pane")
        self.repository: str | None = None
        self.groups: dict[str, Row] = {}
        self.nodes: dict[str, TreeNode] = {}
        self.sizes: dict[str, int] = {}
        self.unmeasurable: set[str] = set()
        self.predicate: Predicate | None = None
        self.filter_text = ""
        self.newest_first = False
        self.choice = Debounced(self, CHOOSE_DELAY, self._announce)
        self._chosen: str | None = None

    @property
    def acr(self) -> "AcrApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="tags-header", classes="column-header")
        yield TagTree()

    @property
    def tree(self) -> TagTree:
        return self.query_one(TagTree)

    def on_resize(self) -> None:
        self.query_one("#tags-header", Static).update(self.tree.header())

    def show_repository(self, repository: str | None) -> None:
        self.repository = repository
        self.groups.clear()
        self.nodes.clear()
        self.next_last = None
        self.exhausted = repository is None
        self._chosen = None
        self.tree.clear()
        self._show_progress()
        self.query_one("#tags-header", Static).update(self.tree.header())
        self._cancel_page()
        self.loading = repository is not None
        self._load_next_page()

    def reload(self) -> None:
        self.show_repository(self.repository)

    def action_toggle_order(self) -> None:
        """Name order, or newest first (the ACR API sorts by time; other registries refuse in one line)."""
        self.newest_first = not self.newest_first
        self.acr.show_status("Tags newest first." if self.newest_first else "Tags by name.")
        self.reload()

    def _start_page(self) -> Worker | None:
        if self.repository is None:
            return None
        return start(self, self._fetch_page, self.repository, self.next_last, group="tags")

    async def _fetch_page(self, repository: str, last: str | None) -> None:
        try:
            order = "timedesc" if self.newest_first else None
            page = await self.acr.client.tag_infos(repository, n=TAG_PAGE, last=last, orderby=order)
        finally:
            self.loading = False
        if repository != self.repository:
            return
        self._page_arrived(page.next_last)
        for tag in page.items:
            if not REFERRERS_TAG.match(tag.name):
                self._add_tag(tag)
        if self._chosen is None and self.tree.cursor_line < 0 and self.nodes:
            self.tree.move_cursor_to_line(0)
            self._announce()
        self._fill_if_sparse()
        self._measure_visible()

    def _add_tag(self, tag: TagInfo) -> None:
        key = tag.digest or f"tag:{tag.name}"
        row = self.groups.get(key)
        if row is None:
            size = self.sizes.get(tag.digest) if tag.digest else None
            row = self.groups[key] = Row(kind="manifest", digest=tag.digest, size=size)
        row.tags.append(tag)
        self._place(key, row)

    def _place(self, key: str, row: Row) -> None:
        """Show, refresh or hide the group's node according to the filter."""
        visible = self.predicate is None or any(self.predicate(name) for name in row.names)
        node = self.nodes.get(key)
        if visible and node is None:
            self.nodes[key] = self.tree.root.add(row.names[0] if row.tags else key, data=row, allow_expand=True)
        elif visible and node is not None:
            if row.expanded_once:
                self._add_tag_leaves(node, row)
            node.refresh()
        elif node is not None:
            node.remove()
            del self.nodes[key]

    def set_filter(self, predicate: Predicate | None) -> None:
        """Rebuild the rows in listing order (hidden rows coming back keep their place)."""
        self.predicate = predicate
        self.tree.clear()
        self.nodes.clear()
        for key, row in self.groups.items():
            row.expanded_once = False
            self._place(key, row)
        self._fill_if_sparse()

    def _fill_if_sparse(self) -> None:
        """With a filter hiding most rows, keep paging until the view is full or the tags end.

        Without one the next page waits for the cursor: many tags on few manifests make few rows,
        and a 100,000-tag repository must not be read to the end just because it has 5 of them."""
        self._show_progress()
        if self.predicate is not None:
            self._page_until_full(len(self.nodes), self.tree.size.height)

    def _show_progress(self) -> None:
        loaded = sum(len(row.tags) for row in self.groups.values())
        more = "" if self.exhausted else ", more below"
        order = ", newest first" if self.newest_first else ""
        shown = f"{self.repository} · {loaded} tags{more}{order}" if self.repository else ""
        self.border_subtitle = f"/{self.filter_text}  {shown}" if self.filter_text else shown

    # Expansion: tags, platforms and referrers, fetched when first opened.

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        event.stop()
        row: Row | None = event.node.data
        if row is None or row.expanded_once or row.digest is None or self.repository is None:
            return
        row.expanded_once = True
        self._add_tag_leaves(event.node, row)
        start(self, self._fetch_children, self.repository, event.node, row, group="expand", exclusive=False)

    def _add_tag_leaves(self, node: TreeNode, row: Row) -> None:
        if row.kind != "manifest" or len(row.tags) < 2:
            return
        shown = {child.data.tags[0].name for child in node.children if child.data and child.data.kind == "tag"}
        for tag in row.tags:
            if tag.name not in shown:
                node.add_leaf(tag.name, data=Row(kind="tag", digest=row.digest, tags=[tag], size=row.size))

    async def _fetch_children(self, repository: str, node: TreeNode, row: Row) -> None:
        client = self.acr.client
        assert row.digest is not None
        fetched = await client.get_manifest(repository, row.digest)
        if not fetched.manifest.is_index:
            self.set_size(row.digest, fetched.manifest.layer_size)
        row.media_type = fetched.media_type
        for child in fetched.manifest.manifests:
            platform = str(child.platform) if child.platform else child.artifact_type or child.media_type
            node.add_leaf(platform, data=Row(kind="platform", digest=child.digest, size=child.size, detail=platform))
        for referrer in await client.referrers(repository, row.digest):
            kind = referrer.artifact_type or referrer.media_type
            node.add(kind, data=Row(kind="referrer", digest=referrer.digest, size=referrer.size, detail=kind))
        if not node.children:
            node.allow_expand = False
        node.refresh()
        self.tree.refresh()

    # Choosing what the inspector shows.

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self.choice.poke()

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        self._announce()
        self.acr.focus_pane("inspector")

    def current(self) -> Row | None:
        node = self.tree.cursor_node
        if node is None and self.tree.root.children:
            node = self.tree.root.children[0]
        return node.data if node is not None else None

    def _announce(self) -> None:
        row = self.current()
        if row is None or row.digest is None or self.repository is None:
            return
        self._measure_visible()
        if row.digest != self._chosen:
            self._chosen = row.digest
            self.post_message(ManifestChosen(self.repository, row.digest, row.names))

    # Actions.

    def set_size(self, digest: str, size: int) -> None:
        """A size learnt elsewhere (the inspector read the manifest) fills the column.

        Kept by digest (content never changes) for rows that do not exist yet or come back."""
        self.sizes[digest] = size
        row = self.groups.get(digest)
        node = self.nodes.get(digest)
        if row is not None and row.size is None:
            row.size = size
            if node is not None:
                node.refresh()

    def _measure_visible(self) -> None:
        """Fill the size column of the rows on screen (and a screenful below): one small manifest
        GET each, never the whole repository."""
        if self.repository is None:
            return
        tree = self.tree
        top = tree.scroll_offset.y if tree.last_line >= 0 else 0
        bottom = top + 2 * max(tree.size.height, 10)
        wanted = [
            row.digest
            for node in self.nodes.values()
            if (row := node.data).size is None and row.digest and row.digest not in self.unmeasurable
            and top <= node.line < bottom
        ]
        if wanted:
            start(self, self._measure, self.repository, wanted, group="sizes")

    async def _measure(self, repository: str, digests: list[str]) -> None:
        gate = asyncio.Semaphore(MEASURE_CONCURRENCY)

        async def one(digest: str) -> None:
            try:
                async with gate:
                    fetched = await self.acr.client.get_manifest(repository, digest)
            except RegistryError:
                # Unreadable here; the inspector says why when the user opens it.
                self.unmeasurable.add(digest)
                return
            if fetched.manifest.is_index:
                self.unmeasurable.add(digest)
            elif repository == self.repository:
                self.set_size(digest, fetched.manifest.layer_size)

        await asyncio.gather(*(one(d) for d in digests))

    def _group_of(self, row: Row) -> Row:
        return self.groups.get(row.digest or "", row)

    def action_copy(self) -> None:
        row = self.current()
        if row is None or self.repository is None:
            return
        base = f"{self.acr.client.host}/{self.repository}"
        tag = row.single_tag if row.kind in ("manifest", "tag") else None
        reference = f"{base}:{tag.name}" if tag else f"{base}@{row.digest}"
        self.app.copy_to_clipboard(reference)
        self.acr.show_status(f"Copied {reference}")

    def action_delete_tag(self) -> None:
        row = self.current()
        if self.acr.refuse_if_read_only("deleting tags") or row is None or self.repository is None:
            return
        tag = row.single_tag if row.kind in ("manifest", "tag") else None
        if tag is None:
            self.acr.show_status("Several tags point at this manifest; expand it (l) and pick one tag to delete.")
            return
        siblings = [n for n in self._group_of(row).names if n != tag.name]
        stays = f" The manifest stays, still tagged {', '.join(siblings)}." if siblings else " The manifest stays, untagged."
        repository = self.repository
        self.acr.confirm(
            f"Delete tag {repository}:{tag.name}?{stays}",
            lambda: start(self, self._delete_tag, repository, tag.name, group="actions"),
        )

    async def _delete_tag(self, repository: str, tag: str) -> None:
        await self.acr.client.delete_tag(repository, tag)
        self.acr.show_status(f"Deleted tag {repository}:{tag}.")
        self.post_message(RegistryChanged(repository))

    def action_delete_manifest(self) -> None:
        row = self.current()
        if self.acr.refuse_if_read_only("deleting manifests") or row is None or self.repository is None:
            return
        if row.digest is None:
            return
        group = self._group_of(row)
        if group.names:
            gone = f" These tags go with it: {', '.join(group.names)}."
            if not self.exhausted:
                gone += " Tags on pages not loaded yet go too."
        else:
            gone = " No loaded tag points at it."
        repository, digest = self.repository, row.digest
        self.acr.confirm(
            f"Delete manifest {repository}@{digest}?{gone}",
            lambda: start(self, self._delete_manifest, repository, digest, group="actions"),
        )

    async def _delete_manifest(self, repository: str, digest: str) -> None:
        await self.acr.client.delete_manifest(repository, digest)
        self.acr.show_status(f"Deleted manifest {repository}@{short_digest(digest)}.")
        self.post_message(RegistryChanged(repository))

    def action_toggle_lock(self) -> None:
        row = self.current()
        if self.acr.refuse_if_read_only("locking") or row is None or self.repository is None:
            return
        start(self, self._toggle_lock, self.repository, row, group="actions")

    async def _toggle_lock(self, repository: str, row: Row) -> None:
        client = self.acr.client
        tag = row.single_tag if row.kind in ("manifest", "tag") else None
        unlock = row.locked
        changes = {"write_enabled": unlock, "delete_enabled": unlock}
        if tag is not None:
            locks = await client.set_tag_locks(repository, tag.name, **changes)
            self._replace_locks(row.digest, {tag.name}, locks)
            what = f"{repository}:{tag.name}"
        elif row.digest is not None:
            locks = await client.set_manifest_locks(repository, row.digest, **changes)
            self._replace_locks(row.digest, set(self._group_of(row).names), locks)
            what = f"{repository}@{short_digest(row.digest)}"
        else:
            return
        self.acr.show_status(f"{'Unlocked' if unlock else 'Locked'} {what}.")

    def _replace_locks(self, digest: str | None, names: set[str], locks: Locks) -> None:
        group = self.groups.get(digest or "")
        if group is None:
            return
        group.tags = [dataclasses.replace(t, locks=locks) if t.name in names else t for t in group.tags]
        node = self.nodes.get(digest or "")
        if node is not None:
            for child in node.children:
                if child.data and child.data.kind == "tag" and child.data.tags[0].name in names:
                    child.data.tags = [dataclasses.replace(child.data.tags[0], locks=locks)]
            node.refresh()
