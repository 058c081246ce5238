from __future__ import annotations

import io

import pytest

from acrtui.oci.efficiency import efficiency, layer_leaves
from acrtui.oci.filetree import Change, ImageTree
from acrtui.oci.layers import EntryType, LayerListing, list_layer
from tests.oci.tarballs import Item, file, layer, opaque, whiteout


def listing(items: list[Item], how: str = "gzip") -> LayerListing:
    return list_layer(io.BytesIO(layer(items, how)))


# Worked by hand in the module docstring of test_efficiency_worked_by_hand below.
BASE = [
    Item("app", "dir", mode=0o755),
    file("app/big", 1000),
    file("app/keep", 200),
    Item("app/cache", "dir", mode=0o755),
    file("app/cache/a", 300),
    file("app/cache/b", 100),
    Item("tmp", "dir", mode=0o1777),
    Item("etc", "dir", mode=0o755),
    file("etc/x", 70),
]
SECOND = [
    file("app/big", 1500, b"y"),
    whiteout("app/keep"),
    Item("tmp", "dir", mode=0o1777),
    file("app/new", 50),
]
THIRD = [
    whiteout("app/cache"),
    Item("etc", "dir", mode=0o755),
    opaque("etc"),
    file("etc/y", 30),
]


@pytest.fixture(scope="module")
def image() -> ImageTree:
    return ImageTree([listing(BASE), listing(SECOND, "zstd"), listing(THIRD, "none")])


def marks(root) -> dict[str, str]:
    return {n.path: n.change.value for n in root.walk() if n.path}


def test_first_layer_is_all_added(image):
    root = image.at(0)
    assert set(marks(root).values()) == {"added"}
    assert root.size == 1670
    assert root.find("app/cache").size == 400
    assert root.find("tmp").is_dir and root.find("tmp").size == 0


def test_modified_removed_unchanged_in_a_later_layer(image):
    root = image.at(1)
    assert marks(root) == {
        "app": "modified",
        "app/big": "modified",
        "app/cache": "unchanged",
        "app/cache/a": "unchanged",
        "app/cache/b": "unchanged",
        "app/keep": "removed",
        "app/new": "added",
        "etc": "unchanged",
        "etc/x": "unchanged",
        "tmp": "unchanged",
    }
    # The removed file is still shown at its layer but no longer counts.
    assert root.find("app/keep").size == 200
    assert root.find("app").size == 1500 + 50 + 400
    assert root.find("app/big").layer == 1 and root.find("app/cache/a").layer == 0
    assert image.changes(1) == {"app": Change.MODIFIED, "app/big": Change.MODIFIED, "app/keep": Change.REMOVED, "app/new": Change.ADDED}


def test_directory_whiteout_and_opaque_directory(image):
    root = image.at(2)
    m = marks(root)
    assert m["app/cache"] == m["app/cache/a"] == m["app/cache/b"] == "removed"
    assert m["etc/x"] == "removed" and m["etc/y"] == "added" and m["etc"] == "modified"
    assert "app/keep" not in m  # removed one layer earlier: gone now
    assert root.find("app/cache").size == 400
    assert root.find("app").size == 1550 and root.find("etc").size == 30
    assert root.size == 1550 + 30


def test_top_is_the_final_file_system(image):
    top = image.top()
    assert sorted(n.path for n in top.walk() if n.path) == ["app", "app/big", "app/new", "etc", "etc/y", "tmp"]
    assert top.size == 1580
    assert top.find("app/big").entry.size == 1500


def test_at_rejects_a_missing_layer(image):
    with pytest.raises(IndexError, match="layer 3 does not exist; the image has 3 layers"):
        image.at(3)


def test_efficiency_worked_by_hand(image):
    # Sightings per path (leaves of each layer's own tree):
    #   app/big 1000 + 1500 (min 1000); app/keep 200 + 0 (file whiteout, min 0); tmp 0 + 0;
    #   app/cache/a 300; app/cache/b 100; etc/x 70; app/new 50; etc/y 30;
    #   app/cache 400 (directory whiteout: everything that was under it).
    # Σmin = 1000+0+0+300+100+70+50+30+400 = 1950; Σcumulative = 2500+200+0+300+100+70+50+30+400 = 3650.
    result = efficiency(image.layers)
    assert result.score == pytest.approx(1950 / 3650)
    assert [(i.path, i.count, i.cumulative_size, i.layers) for i in result.inefficiencies] == [
        ("app/big", 2, 2500, [0, 1]),
        ("app/keep", 2, 200, [0, 1]),
        ("tmp", 2, 0, [0, 1]),
    ]
    assert result.wasted_bytes == 2700
    assert (result.size_bytes, result.user_size_bytes) == (1670 + 1550 + 30, 1550 + 30)
    assert result.wasted_user_percent == pytest.approx(2700 / 1580)


def test_efficiency_matches_dives_own_unit_test():
    # dive's TestEfficency: implied /etc/nginx holding nginx.conf (2000) and public (3000),
    # nginx.conf rewritten (5000) beside athing (10000), then /etc/nginx whited out.
    layers = [
        listing([file("etc/nginx/nginx.conf", 2000), file("etc/nginx/public", 3000)]),
        listing([file("etc/nginx/nginx.conf", 5000), file("etc/athing", 10000)]),
        listing([whiteout("etc/nginx")]),
    ]
    result = efficiency(layers)
    assert result.score == 0.75
    assert [(i.path, i.cumulative_size) for i in result.inefficiencies] == [("etc/nginx/nginx.conf", 7000)]


def test_scratch_image_is_fully_efficient():
    result = efficiency([listing([file("nothing", 0)])])
    assert result.score == 1.0 and result.inefficiencies == [] and result.wasted_user_percent == 0.0


def test_layer_leaves():
    entries = listing(THIRD + [Item("var/empty", "dir"), opaque("var/lib")]).entries
    leaves = {(path, e.whiteout.value if e else "implied") for path, e in layer_leaves(entries)}
    assert leaves == {("app/cache", "delete"), ("etc/y", "none"), ("var/empty", "none"), ("var/lib", "implied")}


def test_hard_links_symlinks_and_devices_in_the_tree():
    image = ImageTree(
        [
            listing(
                [
                    file("bin/busybox", 900),
                    Item("bin/sh", "hardlink", link="bin/busybox"),
                    Item("bin/ash", "symlink", link="busybox"),
                    Item("dev/null", "char"),
                    Item("run/fifo", "fifo"),
                ]
            )
        ]
    )
    root = image.at(0)
    sh = root.find("bin/sh")
    assert sh.entry.type is EntryType.HARDLINK and sh.entry.link_target == "bin/busybox" and sh.size == 0
    assert root.find("bin/ash").entry.link_target == "busybox"
    assert root.find("bin").size == 900 and root.find("bin").entry is None
    assert root.find("dev/null").entry.type is EntryType.CHAR
    assert root.count() == 8  # bin, dev, run and their five entries


def test_rewrite_with_same_content_is_unchanged_but_mode_change_is_modified():
    image = ImageTree(
        [
            listing([file("a", 10), file("b", 10), file("c", 10)]),
            listing([file("a", 10), file("b", 10, mode=0o755), file("c", 10, b"z")]),
        ]
    )
    assert marks(image.at(1)) == {"a": "unchanged", "b": "modified", "c": "modified"}


def test_file_replacing_a_directory_removes_its_children():
    image = ImageTree(
        [
            listing([Item("d", "dir"), file("d/inner", 5)]),
            listing([whiteout("d"), file("d", 3)]),
            listing([file("other", 1)]),
        ]
    )
    root = image.at(1)
    assert root.find("d").change is Change.MODIFIED and root.find("d").size == 3
    assert root.find("d/inner").change is Change.REMOVED
    assert sorted(n.path for n in image.top().walk() if n.path) == ["d", "other"]


def test_opaque_keeps_what_the_same_layer_adds():
    image = ImageTree(
        [
            listing([file("cfg/old", 4), file("cfg/both", 4)]),
            # The marker may come after the layer's own entries in the tar: order must not matter.
            listing([file("cfg/both", 4, b"q"), file("cfg/new", 2), opaque("cfg")]),
        ]
    )
    m = marks(image.at(1))
    assert m == {"cfg": "modified", "cfg/both": "modified", "cfg/new": "added", "cfg/old": "removed"}
    assert sorted(n.path for n in image.top().walk() if n.path) == ["cfg", "cfg/both", "cfg/new"]


def test_whiteout_of_a_missing_path_is_harmless():
    image = ImageTree([listing([file("a", 1)]), listing([whiteout("never/there")])])
    assert marks(image.at(1)) == {"a": "unchanged"}
