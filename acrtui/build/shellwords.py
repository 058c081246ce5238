"""Docker's word processing for Dockerfile arguments: quotes, escapes and `$VAR` expansion.

This follows BuildKit's `shell.Lex` (the rules `docker build` applies to FROM, COPY, ENV, LABEL,
WORKDIR, USER …): single quotes are literal, double quotes expand `$` and honour the escape
character only before `"`, `$` and itself, `${VAR:-word}` / `${VAR-word}` / `${VAR:+word}` /
`${VAR+word}` / `${VAR:?msg}` / `${VAR?msg}` with nested expansion in `word`. Unset variables
expand to the empty string. RUN, CMD and ENTRYPOINT are not processed here: their shell does it.
"""

from __future__ import annotations

from collections.abc import Mapping

_NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | set("0123456789")
_WHITESPACE = " \t\r\n\v\f"


class ExpansionError(ValueError):
    """A word cannot be processed (an unterminated quote, a bad substitution …)."""


class _Words:
    """Splits the processed text into words the way the lexer does: unquoted whitespace
    (including whitespace produced by an unquoted `$VAR`) separates words."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.current = ""
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in _WHITESPACE and self.in_word:
            self.words.append(self.current)
            self.current = ""
            self.in_word = False
        elif ch not in _WHITESPACE:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.current += text
        self.in_word = True

    def add_expanded(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def result(self) -> list[str]:
        if self.in_word:
            self.words.append(self.current)
            self.current = ""
            self.in_word = False
        return self.words


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def process(self, stop: str = "") -> tuple[str, list[str], bool]:
        """Process up to `stop` (consumed) or the end; returns text, words, whether stop was met."""
        result: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result(), True
            if ch == "'":
                piece = self.single_quoted()
                words.add_raw(piece)
            elif ch == '"':
                piece = self.double_quoted()
                words.add_raw(piece)
            elif ch == "$":
                piece = self.dollar()
                words.add_expanded(piece)
            else:
                ch = self.next()
                if ch == self.escape:
                    ch = self.next()
                    if not ch:
                        break
                    words.add_raw(ch)
                else:
                    words.add_char(ch)
                piece = ch
            result.append(piece)
        return "".join(result), words.result(), False

    def single_quoted(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            ch = self.next()
            if not ch:
                raise ExpansionError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                return "".join(out)
            out.append(ch)

    def double_quoted(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise ExpansionError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                following = self.peek()
                if not following:
                    continue
                if following in ('"', "$", self.escape):
                    ch = self.next()
                else:
                    out.append(ch)
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        start = self.pos
        if self.peek().isdigit():
            # Positional names are one digit, as in sh.
            self.next()
            return self.text[start : self.pos]
        while self.peek() and self.peek() in _NAME_CHARS:
            self.next()
        return self.text[start : self.pos]

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            if not self.peek() or self.peek() not in _NAME_CHARS:
                return "$"
            return self.env.get(self.name(), "")
        self.next()
        if not self.peek():
            raise ExpansionError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise ExpansionError("syntax error: bad substitution")
        name = self.name()
        if not name:
            raise ExpansionError("syntax error: bad substitution")
        ch = self.next()
        value = self.env.get(name)
        if ch == "}":
            return value or ""
        colon = ch == ":"
        modifier = self.next() if colon else ch
        if modifier not in ("-", "+", "?"):
            raise ExpansionError(f"unsupported modifier ({modifier}) in substitution ${{{name}…}}")
        word, _, found = self.process("}")
        if not found:
            raise ExpansionError("syntax error: missing '}'")
        present = bool(value) if colon else value is not None
        if modifier == "-":
            return value if present else word  # type: ignore[return-value]
        if modifier == "+":
            return word if present else ""
        if not present:
            reason = word or ("is not allowed to be empty" if colon and value is not None else "is not allowed to be unset")
            raise ExpansionError(f"{name}: {reason}")
        return value  # type: ignore[return-value]


def expand_word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """One word: quotes removed, escapes applied, variables expanded, whitespace kept."""
    return _Lexer(text, env, escape).process()[0]


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Like expand_word, then split on whitespace that was neither quoted nor escaped."""
    return _Lexer(text, env, escape).process()[1]


def split_quoted(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words (BuildKit's
    parseWords, used for `ENV a="x y" b=z` before each value is processed)."""
    words: list[str] = []
    word = ""
    quote = ""
    in_word = False
    i = 0
    while i < len(text):
        ch = text[i]
        if not quote and ch in _WHITESPACE:
            if in_word:
                words.append(word)
                word, in_word = "", False
            i += 1
            continue
        in_word = True
        if ch == escape and i + 1 < len(text) and quote != "'":
            word += ch + text[i + 1]
            i += 2
            continue
        if quote and ch == quote:
            quote = ""
        elif not quote and ch in "'\"":
            quote = ch
        word += ch
        i += 1
    if in_word:
        words.append(word)
    return words
