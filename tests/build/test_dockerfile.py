import pytest

from acrtui.build.dockerfile import DockerfileError, load_dockerfile, parse_dockerfile


def test_directives_continuations_comments_and_forms():
    df = parse_dockerfile(
        "# syntax=docker/dockerfile:1\n"
        "# escape=`\n"
        "ARG BASE=busybox\n"
        "FROM $BASE AS Build\n"
        "RUN echo a `\n"
        "  # a comment inside a continuation\n"
        "\n"
        "  && echo b\n"
        'CMD ["sh", "-c", "x"]\n'
        "ENTRYPOINT [not json\n"
    )
    assert df.directives == {"syntax": "docker/dockerfile:1", "escape": "`"}
    assert [a.args for a in df.meta_args] == [["BASE=busybox"]]
    stage = df.stages[0]
    assert stage.name == "build" and stage.base == "$BASE"
    run, cmd, entry = stage.instructions
    assert run.args == ["echo a   && echo b"] and run.line == 5 and not run.json_form
    assert cmd.json_form and cmd.args == ["sh", "-c", "x"]
    assert not entry.json_form and entry.args == ["[not json"]


def test_directive_after_a_comment_is_just_a_comment():
    df = parse_dockerfile("# hello\n# escape=`\nFROM scratch\n")
    assert df.escape == "\\"


def test_flags_env_label_and_legacy_env():
    df = parse_dockerfile(
        'FROM --platform=linux/amd64 scratch\n'
        'COPY --from=build --chown=1:2 --chmod=0755 a b /dst/\n'
        'ENV A=1 B="two words" C=x\\ y\n'
        'ENV LEGACY value with spaces\n'
        'LABEL "com.example.key"="v" other=x\n'
    )
    stage = df.stages[0]
    assert stage.platform == "linux/amd64"
    copy, env, legacy, label = stage.instructions
    assert copy.flags == {"from": "build", "chown": "1:2", "chmod": "0755"} and copy.args == ["a", "b", "/dst/"]
    assert env.args == ["A=1", 'B="two words"', "C=x\\ y"]
    assert legacy.args == ["LEGACY=value with spaces"]
    assert label.args == ['"com.example.key"="v"', "other=x"]


def test_heredocs():
    df = parse_dockerfile(
        "FROM scratch\n"
        "RUN <<EOF\n"
        "echo one\n"
        "echo two\n"
        "EOF\n"
        "COPY <<-'A' <<B /dir/\n"
        "\tliteral $X\n"
        "\tA\n"
        "expanded $X\n"
        "B\n"
        "RUN python3 <<PY\n"
        "print(1)\n"
        "PY\n"
    )
    run, copy, run2 = df.stages[0].instructions
    assert run.heredocs[0].content == "echo one\necho two\n" and run.heredocs[0].expand
    a, b = copy.heredocs
    assert (a.name, a.content, a.expand) == ("A", "literal $X\n", False)
    assert (b.name, b.content, b.expand) == ("B", "expanded $X\n", True)
    assert run2.line == 11 and run2.heredocs[0].content == "print(1)\n"


def test_quoted_heredoc_markers_are_text():
    df = parse_dockerfile(
        "FROM scratch\n"
        "RUN echo \"<<EOF\" '<<EOT' \\<<END > /marker\n"
        "RUN cat <<'DOC' >/doc\n"
        "a \"<<X\" b\n"
        "DOC\n"
    )
    echo, cat = df.stages[0].instructions
    assert echo.heredocs == () and echo.args == ["echo \"<<EOF\" '<<EOT' \\<<END > /marker"]
    assert [(d.name, d.content, d.expand) for d in cat.heredocs] == [("DOC", 'a "<<X" b\n', False)]


def test_multi_stage_lookup():
    df = parse_dockerfile("FROM scratch AS one\nFROM one AS two\nFROM scratch\n")
    assert df.stage_index("TWO") == 1 and df.stage_index("2") == 2 and df.stage_index("nope") is None


def test_onbuild_and_healthcheck_accepted():
    df = parse_dockerfile("FROM scratch\nONBUILD RUN echo x\nHEALTHCHECK --interval=5s CMD true\nHEALTHCHECK NONE\n")
    assert [i.command for i in df.stages[0].instructions] == ["ONBUILD", "HEALTHCHECK", "HEALTHCHECK"]


@pytest.mark.parametrize(
    "text,line,instruction,fragment",
    [
        ("FROM scratch\nFOO bar\n", 2, "FOO", "unknown instruction"),
        ("RUN echo\n", 1, "RUN", "only ARG may come before"),
        ("# comment only\n", 1, "", "no FROM"),
        ("FROM scratch\nCOPY onlyone\n", 2, "COPY", "source and a destination"),
        ("FROM scratch\nCOPY --frm=x a b\n", 2, "COPY", "unknown flag --frm"),
        ("FROM scratch\nSHELL /bin/bash -c\n", 2, "SHELL", "JSON form"),
        ("FROM scratch\nRUN <<EOF\necho\n", 2, "RUN", "never closed"),
        ("FROM a b\n", 1, "FROM", "expected FROM"),
        ("FROM scratch AS x\nFROM scratch AS x\n", 2, "FROM", "already exists"),
        ("FROM scratch\nENV\n", 2, "ENV", "needs an argument"),
        ("FROM scratch\nENV A=1 B\n", 2, "ENV", "key=value"),
        ("FROM scratch\nHEALTHCHECK echo\n", 2, "HEALTHCHECK", "expected HEALTHCHECK"),
        ("FROM scratch\nONBUILD FROM x\n", 2, "ONBUILD", "not allowed"),
        ("FROM scratch\nARG 1X=2\n", 2, "ARG", "not a valid ARG name"),
        ("# escape=x\nFROM scratch\n", 1, "", "invalid escape token"),
        ("# escape=`\n# escape=\\\nFROM scratch\n", 2, "", "only one escape"),
    ],
)
def test_syntax_errors_name_file_line_and_instruction(text, line, instruction, fragment):
    with pytest.raises(DockerfileError) as info:
        parse_dockerfile(text, "app/Dockerfile")
    error = info.value
    assert (error.path, error.line, error.instruction) == ("app/Dockerfile", line, instruction)
    assert fragment in str(error)
    assert str(error).startswith(f"app/Dockerfile:{line}: ")


def test_missing_dockerfile(tmp_path):
    with pytest.raises(DockerfileError, match="does not exist"):
        load_dockerfile(tmp_path / "Dockerfile")


def test_run_mount_may_repeat_other_flags_may_not():
    df = parse_dockerfile(
        "FROM scratch\n"
        "RUN --mount=type=cache,target=/a --network=none --mount=type=tmpfs,target=/b echo hi\n"
    )
    run = df.stages[0].instructions[0]
    assert run.mounts == ("type=cache,target=/a", "type=tmpfs,target=/b")
    assert run.flags == {"network": "none"} and run.args == ["echo hi"]
    with pytest.raises(DockerfileError, match=r"^Dockerfile:2: RUN: --network is given twice$"):
        parse_dockerfile("FROM scratch\nRUN --network=none --network=host true\n")
