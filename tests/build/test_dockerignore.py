"""moby/patternmatcher's documented behaviour: its Matches table and Docker's .dockerignore docs."""

import pytest

from acrtui.build.dockerignore import PatternError, PatternMatcher, read_ignore_file

# moby/patternmatcher TestMatches (non-Windows, through MatchesOrParentMatches): pattern, path, matches.
MATCHES = [
    ("**", "file", True), ("**", "file/", True), ("**/", "file", True), ("**/", "file/", True),
    ("**", "/", True), ("**/", "/", True), ("dir/**", "dir/file", True), ("dir/**", "dir/file/", True),
    ("dir/**", "dir/dir2/file", True), ("dir/**", "dir/dir2/file/", True), ("**/dir", "dir", True),
    ("**/dir", "dir/file", True), ("**/dir2/*", "dir/dir2/file", True), ("**/dir2/*", "dir/dir2/file/", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True), ("**/dir2/**", "dir/dir2/dir3/file/", True),
    ("**file", "file", True), ("**file", "dir/file", True), ("**/file", "dir/file", True),
    ("**file", "dir/dir/file", True), ("**/file", "dir/dir/file", True), ("**/file*", "dir/dir/file", True),
    ("**/file*", "dir/dir/file.txt", True), ("**/file*txt", "dir/dir/file.txt", True),
    ("**/file*.txt", "dir/dir/file.txt", True), ("**/file*.txt*", "dir/dir/file.txt", True),
    ("**/**/*.txt", "dir/dir/file.txt", True), ("**/**/*.txt2", "dir/dir/file.txt", False),
    ("**/*.txt", "file.txt", True), ("**/**/*.txt", "file.txt", True), ("a**/*.txt", "a/file.txt", True),
    ("a**/*.txt", "a/dir/file.txt", True), ("a**/*.txt", "a/dir/dir/file.txt", True),
    ("a/*.txt", "a/dir/file.txt", False), ("a/*.txt", "a/file.txt", True), ("a/*.txt**", "a/file.txt", True),
    ("a[b-d]e", "ae", False), ("a[b-d]e", "ace", True), ("a[b-d]e", "aae", False), ("a[^b-d]e", "aze", True),
    (".*", ".foo", True), (".*", "foo", False), ("abc.def", "abcdef", False), ("abc.def", "abc.def", True),
    ("abc.def", "abcZdef", False), ("abc?def", "abcZdef", True), ("abc?def", "abcdef", False),
    ("a\\\\", "a\\", True), ("**/foo/bar", "foo/bar", True), ("**/foo/bar", "dir/foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True), ("abc/**", "abc", False), ("abc/**", "abc/def", True),
    ("abc/**", "abc/def/ghi", True), ("**/.foo", ".foo", True), ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True), ("a(b)c/def", "a(b)c/xyz", False), ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
]


@pytest.mark.parametrize("pattern,path,expected", MATCHES)
def test_pattern_table(pattern, path, expected):
    assert PatternMatcher([pattern]).matches(path) is expected


def ignored(text: str, path: str) -> bool:
    return PatternMatcher(read_ignore_file(text)).matches(path)


def test_docs_example_levels():
    text = "# comment\n*/temp*\n*/*/temp*\ntemp?\n"
    assert ignored(text, "somedir/temporary.txt")
    assert ignored(text, "somedir/temp")
    assert ignored(text, "somedir/subdir/temporary.txt")
    assert ignored(text, "tempa")
    assert not ignored(text, "temporary.txt")
    assert not ignored(text, "# comment")


def test_docs_exceptions_last_match_wins():
    assert not ignored("*.md\n!README.md\n", "README.md")
    assert ignored("*.md\n!README.md\n", "CHANGES.md")
    text = "*.md\n!README*.md\nREADME-secret.md\n"
    assert ignored(text, "README-secret.md") and not ignored(text, "README-public.md") and ignored(text, "x.md")
    text = "*.md\nREADME-secret.md\n!README*.md\n"
    assert not ignored(text, "README-secret.md")


def test_parent_directory_match_excludes_children():
    assert ignored("node_modules\n", "node_modules/pkg/index.js")
    assert ignored("**/*.go\n", "a/b/c.go")
    assert ignored("/abs\n", "abs/file")
    assert ignored("dir/../other\n", "other/x")  # path-cleaned


def test_exception_inside_ignored_directory():
    text = "docs\n!docs/keep.md\n"
    assert ignored(text, "docs/other.md")
    assert not ignored(text, "docs/keep.md")


def test_reading_normalises_lines():
    assert read_ignore_file("\ufeff  a/ \n#x\n\n! /b\n./c/./d\n") == ["a", "!b", "c/d"]


def test_lone_exclamation_is_an_error():
    with pytest.raises(PatternError):
        PatternMatcher(["!"])


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    from acrtui.build.dockerignore import load_matcher

    (tmp_path / ".dockerignore").write_text("a.txt\n")
    (tmp_path / "app.Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app.Dockerfile.dockerignore").write_text("b.txt\n")
    assert load_matcher(tmp_path).matches("a.txt")
    specific = load_matcher(tmp_path, tmp_path / "app.Dockerfile")
    assert specific.matches("b.txt") and not specific.matches("a.txt")
