"""base/busybox:latest, the base image of the Dev loop contexts: the host's static busybox and
its applet links, plus the sample's base files, imported with the builder's `acrtui import`.

The root file system is handed to the import as a tarball written by the builder's layer
writer (owners 0:0, fixed modes and times), so the image depends only on the busybox binary,
not on who runs acrtui or their umask.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from acrtui.build.cache import BuildCache
from acrtui.build.importer import import_image
from acrtui.build.layers import LayerEntry, write_layer
from acrtui.build.registry import RegistryStore
from acrtui.client import RegistryClient
from acrtui.sample.description import BusyboxSpec, LayerSpec
from acrtui.sample.images import LAYER_EPOCH, layer_entries

# Directories a shell expects; /tmp is world-writable and sticky, /root private, as usual.
_DIRECTORIES = {"bin": 0o755, "dev": 0o755, "etc": 0o755, "proc": 0o755, "root": 0o700, "sys": 0o755,
                "tmp": 0o1777, "usr": 0o755, "usr/bin": 0o755, "var": 0o755}


async def import_busybox(client: RegistryClient, spec: BusyboxSpec, files: LayerSpec, workdir: Path) -> str | None:
    """Import the image and return its digest; None when the host has no busybox at `spec.binary`."""
    if not spec.binary.is_file():
        return None
    applets = await _applets(spec.binary)
    if not applets:
        return None
    entries = [LayerEntry(path, "dir", mode) for path, mode in _DIRECTORIES.items()]
    entries += [e for e in layer_entries(files) if e.name not in _DIRECTORIES]
    entries.append(LayerEntry("bin/busybox", "file", 0o755, source=spec.binary))
    entries += [LayerEntry(f"bin/{name}", "symlink", 0o777, link="busybox") for name in applets if name != "busybox"]
    rootfs = await asyncio.to_thread(write_layer, entries, workdir / "busybox-rootfs.tar.gz", LAYER_EPOCH)
    cache = BuildCache(workdir / "build-cache")
    return await import_image(str(rootfs.path), RegistryStore(client), spec.repository, spec.tag, cache, lambda line: None)


async def _applets(binary: Path) -> list[str]:
    """The applets this busybox was built with (`busybox --list`); none when it will not run."""
    process = await asyncio.create_subprocess_exec(
        str(binary), "--list", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        return []
    return sorted({name for name in out.decode("ascii", "replace").split() if "/" not in name})
