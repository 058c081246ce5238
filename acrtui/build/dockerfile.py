"""The Dockerfile parser: text → stages of instructions, with every syntax error located.

It follows BuildKit's frontend: parser directives at the top (`# syntax=`, `# escape=`, `# check=`),
comments, line continuations with the escape character (comment and blank lines inside a
continuation are dropped), `--flag=value` options, JSON and shell forms, heredocs for RUN, COPY
and ADD (`<<EOF`, `<<-EOF` stripping leading tabs, quoted delimiters that turn expansion off),
global ARGs before the first FROM, and multi-stage builds. Variables are *not* expanded here:
the builder expands each instruction when it runs, with the scope of that moment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from acrtui.build.shellwords import split_quoted

_DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC_RE = re.compile(r"<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_.\-]*)\2")
_HEREDOC_COMMANDS = {"RUN", "COPY", "ADD"}

# Which `--flags` each instruction accepts; a flag outside its set is a syntax error.
_FLAGS: dict[str, set[str]] = {
    "FROM": {"platform"},
    "COPY": {"from", "chown", "chmod", "link"},
    "ADD": {"chown", "chmod", "link", "checksum", "keep-git-dir"},
    "RUN": {"network", "mount", "security"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
_BOOL_FLAGS = {"link", "keep-git-dir"}
INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}


class DockerfileError(ValueError):
    """A Dockerfile cannot be parsed; the message names file, line and instruction."""

    def __init__(self, path: str, line: int, instruction: str, message: str) -> None:
        self.path = path
        self.line = line
        self.instruction = instruction
        self.reason = message
        where = f"{path}:{line}"
        super().__init__(f"{where}: {instruction}: {message}" if instruction else f"{where}: {message}")


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool  # False when the delimiter was quoted: the content is taken literally


@dataclass(frozen=True)
class Instruction:
    command: str  # upper case
    line: int  # 1-based line where the instruction starts
    original: str  # the instruction as written (continuations joined)
    flags: dict[str, str]  # raw, unexpanded flag values; bool flags map to "true"
    args: list[str]  # raw arguments (see parse_arguments for their shape per command)
    json_form: bool = False
    heredocs: tuple[Heredoc, ...] = ()
    mounts: tuple[str, ...] = ()  # raw RUN --mount specs in order: the one flag that may repeat

    def flag(self, name: str, default: str | None = None) -> str | None:
        return self.flags.get(name, default)


@dataclass
class Stage:
    index: int
    name: str  # lower case; "" when unnamed
    base: str  # raw, unexpanded FROM argument
    platform: str | None  # raw --platform value
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or str(self.index)


@dataclass
class Dockerfile:
    path: str
    directives: dict[str, str]
    escape: str
    meta_args: list[Instruction]  # ARGs before the first FROM
    stages: list[Stage]

    def stage_index(self, name_or_index: str) -> int | None:
        """A stage named by `AS name` (case-insensitive) or by its position."""
        lowered = name_or_index.lower()
        for stage in self.stages:
            if stage.name and stage.name == lowered:
                return stage.index
        if name_or_index.isdigit() and int(name_or_index) < len(self.stages):
            return int(name_or_index)
        return None


@dataclass
class _Line:
    number: int
    text: str


def parse_dockerfile(text: str, path: str = "Dockerfile") -> Dockerfile:
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    directives, first = _directives(lines, path)
    escape = directives.get("escape", "\\")
    instructions = list(_instructions(lines, first, escape, path))
    meta_args: list[Instruction] = []
    stages: list[Stage] = []
    for ins in instructions:
        if ins.command == "FROM":
            stages.append(_stage(ins, len(stages), stages, path))
        elif not stages:
            if ins.command != "ARG":
                raise DockerfileError(path, ins.line, ins.command, "only ARG may come before the first FROM; start the file with FROM <image>")
            meta_args.append(ins)
        else:
            stages[-1].instructions.append(ins)
    if not stages:
        last = max(1, len("\n".join(lines).rstrip().split("\n")))
        raise DockerfileError(path, last, "", "the file has no FROM instruction; a Dockerfile starts with FROM <image> (or FROM scratch)")
    return Dockerfile(path=path, directives=directives, escape=escape, meta_args=meta_args, stages=stages)


def load_dockerfile(file: Path, display: str | None = None) -> Dockerfile:
    shown = display or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DockerfileError(shown, 0, "", "the Dockerfile does not exist; pass its path with -f") from None
    except UnicodeDecodeError:
        raise DockerfileError(shown, 0, "", "the Dockerfile is not UTF-8 text") from None
    return parse_dockerfile(text, shown)


def _directives(lines: list[str], path: str) -> tuple[dict[str, str], int]:
    """Parser directives are `# key=value` lines at the very top; the first other line ends them."""
    found: dict[str, str] = {}
    for i, raw in enumerate(lines):
        match = _DIRECTIVE_RE.match(raw.strip())
        if not match:
            return found, i
        key, value = match.group(1).lower(), match.group(2)
        if key not in _KNOWN_DIRECTIVES:
            return found, i
        if key in found:
            raise DockerfileError(path, i + 1, "", f"only one {key} parser directive can be used")
        if key == "escape" and value not in ("\\", "`"):
            raise DockerfileError(path, i + 1, "", f"invalid escape token {value!r}; use \\ or `")
        found[key] = value
    return found, len(lines)


def _instructions(lines: list[str], start: int, escape: str, path: str):
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    i = start
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        first_line = i + 1
        parts: list[str] = []
        current = lines[i].lstrip()
        i += 1
        while True:
            match = continuation.search(current)
            if not match:
                parts.append(current)
                break
            parts.append(current[: match.start()])
            # A continuation skips comment and blank lines until the next real line.
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
                i += 1
            if i >= len(lines):
                break
            current = lines[i]
            i += 1
        logical = "".join(parts).strip()
        if not logical:
            continue
        keyword, rest = _split_keyword(logical)
        command = keyword.upper()
        if command not in INSTRUCTIONS:
            raise DockerfileError(path, first_line, keyword, f"unknown instruction {keyword!r}; check its spelling")
        heredocs: list[Heredoc] = []
        if command in _HEREDOC_COMMANDS and not rest.lstrip().startswith("[") and "<<" in rest:
            heredocs, i = _read_heredocs(rest, lines, i, path, first_line, command, escape)
        yield _instruction(command, rest, first_line, logical, heredocs, escape, path)


def _split_keyword(logical: str) -> tuple[str, str]:
    match = re.match(r"(\S+)\s*(.*)$", logical, re.S)
    assert match is not None
    return match.group(1), match.group(2)


def _read_heredocs(rest: str, lines: list[str], i: int, path: str, line: int, command: str, escape: str):
    docs: list[Heredoc] = []
    # As BuildKit does: only a word that starts with << opens one, so `echo "<<EOF"` does not.
    for match in filter(None, map(_HEREDOC_RE.match, split_quoted(rest, escape))):
        strip_tabs, quote, name = match.group(1) == "-", match.group(2), match.group(3)
        body: list[str] = []
        while True:
            if i >= len(lines):
                raise DockerfileError(path, line, command, f"heredoc <<{name} is never closed; end it with a line holding only {name}")
            text = lines[i]
            i += 1
            if strip_tabs:
                text = text.lstrip("\t")
            if text == name:
                break
            body.append(text + "\n")
        docs.append(Heredoc(name=name, content="".join(body), expand=not quote))
    return docs, i


def _instruction(
    command: str, rest: str, line: int, original: str, heredocs: list[Heredoc], escape: str, path: str
) -> Instruction:
    flags, mounts, rest = _flags(command, rest, line, path)
    json_form, args = _arguments(command, rest, line, path, escape, bool(heredocs))
    ins = Instruction(command, line, original, flags, args, json_form, tuple(heredocs), mounts)
    _validate(ins, path)
    return ins


def _flags(command: str, rest: str, line: int, path: str) -> tuple[dict[str, str], tuple[str, ...], str]:
    flags: dict[str, str] = {}
    mounts: list[str] = []
    allowed = _FLAGS.get(command, set())
    while rest.startswith("--"):
        word, _, remainder = rest.partition(" ")
        if word == "--":
            rest = remainder.lstrip()
            break
        name, eq, value = word[2:].partition("=")
        if name not in allowed:
            raise DockerfileError(path, line, command, f"unknown flag --{name}")
        if not eq:
            if name not in _BOOL_FLAGS:
                raise DockerfileError(path, line, command, f"--{name} needs a value (--{name}=…)")
            value = "true"
        if name == "mount":
            mounts.append(value)
        elif name in flags:
            raise DockerfileError(path, line, command, f"--{name} is given twice")
        else:
            flags[name] = value
        rest = remainder.lstrip()
    return flags, tuple(mounts), rest


def _arguments(command: str, rest: str, line: int, path: str, escape: str, heredoc: bool) -> tuple[bool, list[str]]:
    if command in {"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"} and rest.startswith("["):
        parsed = _json_array(rest)
        if parsed is not None:
            return True, parsed
        if command == "SHELL":
            raise DockerfileError(path, line, command, "SHELL needs the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]")
    if command == "SHELL":
        raise DockerfileError(path, line, command, "SHELL needs the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]")
    if command in {"RUN", "CMD", "ENTRYPOINT"}:
        return False, [rest] if rest else []
    if command in {"ENV", "LABEL"}:
        return False, _name_values(command, rest, line, path, escape)
    if command == "ARG":
        return False, split_quoted(rest, escape)
    if command in {"MAINTAINER", "STOPSIGNAL", "USER", "WORKDIR", "ONBUILD", "HEALTHCHECK"}:
        return False, [rest] if rest else []
    return False, rest.split()


def _json_array(rest: str) -> list[str] | None:
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _name_values(command: str, rest: str, line: int, path: str, escape: str) -> list[str]:
    """ENV/LABEL arguments as `key=value` words (quotes kept for the builder to process)."""
    words = split_quoted(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        # The legacy form `ENV NAME value with spaces` sets one variable to the rest of the line.
        name, _, value = rest.partition(" ")
        if not value.strip():
            raise DockerfileError(path, line, command, f"{command} {name} has no value; write {command} {name}=<value>")
        return [f"{name}={value.strip()}"]
    for word in words:
        if "=" not in word:
            raise DockerfileError(path, line, command, f"{word!r} is not of the form key=value")
        if word.startswith("="):
            raise DockerfileError(path, line, command, f"{word!r} has an empty name")
    return words


def _validate(ins: Instruction, path: str) -> None:
    def fail(message: str) -> None:
        raise DockerfileError(path, ins.line, ins.command, message)

    c, n = ins.command, len(ins.args)
    if c in {"COPY", "ADD"}:
        if n + len(ins.heredocs) < 2 and not (ins.heredocs and n == 1):
            fail(f"{c} needs at least one source and a destination")
        if n < 1:
            fail(f"{c} needs a destination")
    elif c == "FROM":
        if n == 2 or n > 3 or (n == 3 and ins.args[1].upper() != "AS"):
            fail("expected FROM <image> [AS <name>]")
        if n == 0:
            fail("FROM needs an image (or scratch)")
    elif c in {"ENV", "LABEL", "ARG", "EXPOSE", "VOLUME", "WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER", "ONBUILD"}:
        if n == 0:
            fail(f"{c} needs an argument")
    elif c == "RUN" and n == 0 and not ins.heredocs:
        fail("RUN needs a command")
    elif c == "SHELL" and n == 0:
        fail("SHELL needs at least the shell executable")
    elif c == "HEALTHCHECK":
        if n == 0:
            fail("expected HEALTHCHECK NONE or HEALTHCHECK [options] CMD <command>")
        word = ins.args[0].split(None, 1)[0].upper()
        if word not in {"NONE", "CMD"}:
            fail("expected HEALTHCHECK NONE or HEALTHCHECK [options] CMD <command>")
        if word == "NONE" and (ins.args[0].strip().upper() != "NONE" or ins.flags):
            fail("HEALTHCHECK NONE takes no other arguments")
    if c == "ONBUILD":
        trigger = ins.args[0].split(None, 1)[0].upper()
        if trigger in {"ONBUILD", "FROM", "MAINTAINER"}:
            fail(f"{trigger} is not allowed as an ONBUILD trigger")
        if trigger not in INSTRUCTIONS:
            fail(f"unknown instruction {trigger!r} in ONBUILD")
    if c == "ARG":
        for word in ins.args:
            name = word.split("=", 1)[0]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                fail(f"{name!r} is not a valid ARG name")


def _stage(ins: Instruction, index: int, previous: list[Stage], path: str) -> Stage:
    name = ins.args[2].lower() if len(ins.args) == 3 else ""
    if name:
        if not re.fullmatch(r"[a-z][a-z0-9\-_.]*", name):
            raise DockerfileError(path, ins.line, "FROM", f"invalid stage name {name!r}; use letters, digits, '-', '_' and '.'")
        if any(s.name == name for s in previous):
            raise DockerfileError(path, ins.line, "FROM", f"a stage named {name!r} already exists")
    return Stage(index=index, name=name, base=ins.args[0], platform=ins.flags.get("platform"), line=ins.line)


def parse_trigger(text: str, line: int, path: str, escape: str = "\\") -> Instruction:
    """An ONBUILD trigger, parsed as the instruction it holds."""
    keyword, rest = _split_keyword(text.strip())
    command = keyword.upper()
    return _instruction(command, rest, line, text.strip(), [], escape, path)
