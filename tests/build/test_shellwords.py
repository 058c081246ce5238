import pytest

from acrtui.build.shellwords import ExpansionError, expand_word, expand_words, split_quoted

ENV = {"A": "apple", "EMPTY": "", "SP": "a b"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("$A", "apple"),
        ("${A}", "apple"),
        ("x${A}y", "xappley"),
        ("$UNSET", ""),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${UNSET-dflt}", "dflt"),
        ("${A:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET:-${A}}", "apple"),
        ("'$A'", "$A"),
        ('"$A"', "apple"),
        ("\\$A", "$A"),
        ('"\\$A"', "$A"),
        ('"a\\b"', "a\\b"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("a\\ b", "a b"),
        ("$", "$"),
        ("cost$", "cost$"),
        ("${A:-x}y", "appley"),
    ],
)
def test_expand_word(text, expected):
    assert expand_word(text, ENV) == expected


def test_backtick_escape():
    assert expand_word("`$A", ENV, escape="`") == "$A"
    assert expand_word("C:\\path", ENV, escape="`") == "C:\\path"


def test_words_split_on_unquoted_whitespace_and_expansion():
    assert expand_words('a "b c" $SP', ENV) == ["a", "b c", "a", "b"]
    assert expand_words('"$SP"', ENV) == ["a b"]


@pytest.mark.parametrize("text", ["'open", '"open', "${A", "${}", "${:-x}", "${A%x}"])
def test_errors(text):
    with pytest.raises(ExpansionError):
        expand_word(text, ENV)


def test_required_variable():
    with pytest.raises(ExpansionError, match="UNSET: must be set"):
        expand_word("${UNSET:?must be set}", ENV)
    assert expand_word("${A:?x}", ENV) == "apple"


def test_split_quoted_keeps_quotes():
    assert split_quoted('a="x y" b=z\\ w c') == ['a="x y"', "b=z\\ w", "c"]
