"""The command line: `acrtui` (the TUI) and its subcommands.

Each subcommand lives in the package that owns the work; this module only parses arguments and
dispatches, so start-up stays cheap (modules are imported when their command runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acrtui.client import RegistryClient
    from acrtui.engine.server import EmbeddedServer

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from acrtui.engine.server import serve_command

    return serve_command(args)


def _bench(args: argparse.Namespace) -> int:
    from acrtui.bench import bench_command

    return bench_command(args)


@asynccontextmanager
async def open_command_registry(target: str | None) -> AsyncIterator["RegistryClient"]:
    """The registry a command talks to: `--registry` when given; else the `acrtui serve` running on
    the default data dir; else an engine started in-process on that data dir for the command."""
    from acrtui.client import Profile, RegistryClient, resolve_registry
    from acrtui.engine.datadir import default_data_dir, running_server_url

    if target:
        async with RegistryClient(resolve_registry(target)) as client:
            await client.ping()
            yield client
        return
    data_dir = default_data_dir()
    served = running_server_url(data_dir)
    if served:
        async with RegistryClient(Profile(name="local", url=served)) as client:
            await client.ping()
            yield client
        return
    from acrtui.engine.server import EmbeddedServer

    async with EmbeddedServer(data_dir) as server:
        async with RegistryClient(Profile(name="embedded", url=server.url)) as client:
            yield client


def _tui(args: argparse.Namespace) -> int:
    """`acrtui` without a command: the app on --registry/--profile, else on the embedded engine."""
    from acrtui.client import Profile, RegistryError, load_config, resolve_registry
    from acrtui.tui.app import run_app
    from acrtui.tui.themes import ThemeError

    def open_app(profile: Profile) -> int:
        return run_app(profile, read_only=args.read_only, theme=args.theme)

    try:
        config = load_config()
        if args.profile:
            if args.profile not in config.profiles:
                known = ", ".join(sorted(config.profiles)) or "none"
                raise RegistryError(f"there is no profile named {args.profile!r} in the config file; known profiles: {known}")
            return open_app(config.profiles[args.profile])
        if args.registry:
            return open_app(config.with_defaults(resolve_registry(args.registry, config.profiles)))
        from acrtui.engine.datadir import default_data_dir, running_server_url

        data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
        served = running_server_url(data_dir)
        if served:
            return open_app(config.with_defaults(Profile(name="embedded", url=served)))
        from acrtui.engine.server import EmbeddedServer

        with EmbeddedServer(data_dir) as server:
            _seed_embedded(server, data_dir)
            return open_app(config.with_defaults(Profile(name="embedded", url=server.url)))
    except (RegistryError, ThemeError) as exc:
        print(f"acrtui: {exc}", file=sys.stderr)
        return 2


def _seed_embedded(server: "EmbeddedServer", data_dir: Path) -> None:
    """Fill a fresh embedded registry with the sample on first run (a marker file says it is done)."""
    import asyncio

    from acrtui.client import Profile, RegistryClient
    from acrtui.sample import index_backdate, seed_sample_registry

    marker = data_dir / "sample-seeded"
    if marker.exists() or server.engine is None:
        return
    print("acrtui: first run, seeding the embedded registry with the sample…", file=sys.stderr)

    def progress(line: str) -> None:
        print(f"acrtui:   {line}", file=sys.stderr)

    async def seed() -> None:
        async with RegistryClient(Profile(name="embedded", url=server.url)) as client:
            backdate = index_backdate(server.engine.index.set_times)
            result = await seed_sample_registry(client, marker=marker, progress=progress, backdate=backdate)
        for note in result.notes:
            print(f"acrtui: note: {note}", file=sys.stderr)

    asyncio.run(seed())


def _build(args: argparse.Namespace) -> int:
    from acrtui.build.commands import build_command

    return build_command(args, open_command_registry)


def _import(args: argparse.Namespace) -> int:
    from acrtui.build.commands import import_command

    return import_command(args, open_command_registry)


def _watch(args: argparse.Namespace) -> int:
    from acrtui.build.commands import watch_command

    return watch_command(args, open_command_registry)


def _add_build_commands(sub: argparse._SubParsersAction) -> None:
    from acrtui.build.arguments import add_build_arguments, add_import_arguments

    build = sub.add_parser("build", help="build an image from a Dockerfile and push it (no Docker engine needed)")
    add_build_arguments(build)
    build.set_defaults(handler=_build)
    imp = sub.add_parser("import", help="bring an image in from a registry, OCI layout, docker save archive or root file system")
    add_import_arguments(imp)
    imp.set_defaults(handler=_import)
    watch = sub.add_parser("watch", help="rebuild and push on every save")
    add_build_arguments(watch, watch=True)
    watch.set_defaults(handler=_watch)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acrtui", description="A terminal workbench for container registries.")
    parser.set_defaults(handler=_tui)
    parser.add_argument("--registry", metavar="HOST", help="open this registry (HOST[:PORT] or URL) instead of the embedded one")
    parser.add_argument("--profile", metavar="NAME", help="open a profile from ~/.config/acrtui/config.yaml")
    parser.add_argument("--theme", metavar="NAME", help="dark, light, high-contrast, or a theme file's name")
    parser.add_argument("--read-only", action="store_true", help="disable every destructive action")
    parser.add_argument("--data-dir", metavar="DIR", help="embedded registry data (default: $XDG_DATA_HOME/acrtui/registry)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the embedded registry headless")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--data-dir", default=None, help="default: $XDG_DATA_HOME/acrtui/registry")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=_serve)

    bench = sub.add_parser("bench", help="benchmark a registry")
    bench.add_argument("url", help="registry base URL, e.g. http://127.0.0.1:5000")
    bench.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    bench.add_argument("--json", action="store_true", help="print results as JSON")
    bench.add_argument("--only", action="append", default=None, help="run only this scenario (repeatable)")
    bench.add_argument("--concurrency", type=int, default=8, help="concurrent requests per scenario (default 8)")
    bench.add_argument("--page-size", type=int, default=0, help="n= of full tag and catalog listings (default 0: none, the registry picks its page size)")
    bench.add_argument("--pid", type=int, default=None, help="sample this server process's memory during the run")
    bench.add_argument("--username", default=None, help="or ACRTUI_BENCH_USERNAME")
    bench.add_argument("--password", default=None, help="or ACRTUI_BENCH_PASSWORD")
    bench.add_argument("--keep", action="store_true", help="leave what the run pushed in the registry")
    bench.add_argument("--scale", type=float, default=None, help=argparse.SUPPRESS)
    bench.set_defaults(handler=_bench)
    _add_build_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
