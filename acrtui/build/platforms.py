"""Target platforms: parsing `--platform os/arch[/variant]`, the host's platform, emulators."""

from __future__ import annotations

import platform as _platform
from pathlib import Path

from acrtui.build.errors import BuildError
from acrtui.oci.manifest import Platform

_ARCH_ALIASES = {
    "x86_64": "amd64", "x86-64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
    "armv7l": "arm", "armv7": "arm", "armv6l": "arm", "armhf": "arm", "arm": "arm", "i686": "386",
    "i386": "386", "386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}
_QEMU_NAMES = {
    "amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386",
    "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}


def host_platform() -> Platform:
    machine = _platform.machine().lower()
    arch = _ARCH_ALIASES.get(machine, machine)
    variant = "v7" if machine.startswith("armv7") else ("v6" if machine.startswith("armv6") else "")
    return Platform(os="linux", architecture=arch, variant=variant)


def parse_platform(text: str) -> Platform:
    """`os/arch[/variant]`; architecture aliases (x86_64, aarch64) are normalised."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise BuildError(f"--platform {text!r} is not of the form os/arch[/variant], e.g. linux/amd64 or linux/arm/v7")
    os_name, arch = parts[0], _ARCH_ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ""
    return Platform(os=os_name, architecture=arch, variant=variant)


def platform_args(target: Platform, build: Platform) -> dict[str, str]:
    """The automatic platform ARGs BuildKit defines (TARGETPLATFORM, BUILDARCH …)."""
    out: dict[str, str] = {}
    for prefix, value in (("TARGET", target), ("BUILD", build)):
        out[f"{prefix}PLATFORM"] = str(value)
        out[f"{prefix}OS"] = value.os
        out[f"{prefix}ARCH"] = value.architecture
        out[f"{prefix}VARIANT"] = value.variant
    return out


def check_can_run(target: Platform) -> None:
    """RUN for another architecture needs a binfmt_misc emulator (qemu-user-static)."""
    host = host_platform()
    if target.architecture == host.architecture:
        return
    qemu = _QEMU_NAMES.get(target.architecture, target.architecture)
    entry = Path("/proc/sys/fs/binfmt_misc") / f"qemu-{qemu}"
    try:
        enabled = entry.read_text().splitlines()[0].strip() == "enabled"
    except (OSError, IndexError):
        enabled = False
    if not enabled:
        raise BuildError(
            f"RUN cannot execute {target} programs on this {host} machine; install an emulator "
            "(apt-get install qemu-user-static binfmt-support) or build for the host's platform"
        )
