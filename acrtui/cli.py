"""The command line: `acrtui` (the TUI) and its subcommands.

Each subcommand lives in the package that owns the work; this module only parses arguments and
dispatches, so start-up stays cheap (modules are imported when their command runs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _serve(args: argparse.Namespace) -> int:
    from acrtui.engine.server import serve_command

    return serve_command(args)


def _bench(args: argparse.Namespace) -> int:
    from acrtui.bench import bench_command

    return bench_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acrtui", description="A terminal workbench for container registries.")
    parser.set_defaults(handler=None)
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
    bench.add_argument("--page-size", type=int, default=100, help="n= for tag and catalog listings (default 100)")
    bench.add_argument("--pid", type=int, default=None, help="sample this server process's memory during the run")
    bench.add_argument("--username", default=None, help="or ACRTUI_BENCH_USERNAME")
    bench.add_argument("--password", default=None, help="or ACRTUI_BENCH_PASSWORD")
    bench.add_argument("--keep", action="store_true", help="leave what the run pushed in the registry")
    bench.add_argument("--scale", type=float, default=None, help=argparse.SUPPRESS)
    bench.set_defaults(handler=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = args.handler
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
