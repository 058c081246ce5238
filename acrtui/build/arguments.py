"""The arguments of `acrtui build`, `import` and `watch`, kept apart so that building the
command-line parser imports nothing heavy."""

from __future__ import annotations

import argparse

BACKENDS = ("native", "buildah", "docker")


def add_build_arguments(parser: argparse.ArgumentParser, *, watch: bool = False) -> None:
    parser.add_argument("context", metavar="CONTEXT", help="the build context directory")
    parser.add_argument("-t", "--tag", dest="tags", action="append", default=[], metavar="REPO:TAG",
                        help="repository and tag to push (repeatable)")
    parser.add_argument("-f", "--file", dest="dockerfile", default=None, help="the Dockerfile (default: CONTEXT/Dockerfile)")
    parser.add_argument("--platform", default=None, help="os/arch[/variant], comma-separated for several (default: the host's)")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], metavar="K=V")
    parser.add_argument("--secret", dest="secrets", action="append", default=[], metavar="id=NAME,src=PATH",
                        help="a secret for RUN --mount=type=secret, from a file (src=) or a variable (env=) (repeatable)")
    parser.add_argument("--target", default=None, help="build up to this stage")
    parser.add_argument("--no-push", action="store_true", help="build only")
    parser.add_argument("--no-cache", action="store_true", help="ignore cached steps")
    parser.add_argument("--backend", choices=BACKENDS, default="native")
    parser.add_argument("--timeout", type=float, default=None if watch else 3600.0, metavar="S",
                        help="stop a build that runs longer than this many seconds")
    parser.add_argument("--registry", default=None, help="HOST[:PORT], URL or profile (default: the embedded registry)")


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE",
                        help="HOST/REPO[:TAG] of another registry, an OCI layout DIR[:REF], a docker save archive, or a root file system dir/tarball")
    parser.add_argument("-t", "--tag", dest="tags", action="append", required=True, metavar="REPO:TAG")
    parser.add_argument("--platform", default=None, help="for a root file system: os/arch[/variant] (default: the host's)")
    parser.add_argument("--registry", default=None, help="HOST[:PORT], URL or profile (default: the embedded registry)")
