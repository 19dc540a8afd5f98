"""The command line: every command documented, help that runs, errors that name the problem, exit codes."""

import argparse
import re
from pathlib import Path

import pytest

from codeseed_cli import build_parser, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(sub.choices)


def test_every_command_is_in_the_readme_table():
    table = README[README.index("## Command line at a glance"):]
    documented = set(re.findall(r"`codeseed (\w+)", table))
    assert set(commands()) <= documented, set(commands()) - documented


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: codeseed " + command in capsys.readouterr().out


def test_readme_ci_blocks_exist():
    for marker in ("<!-- ci:setup -->", "<!-- ci:test -->", "<!-- ci:run -->"):
        assert marker in README


def test_missing_project_is_a_clear_error_with_exit_code_2(tmp_path, capsys):
    assert main(["status", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "codeseed status: error:" in err and "does not exist" in err and "codeseed init" in err


def test_init_import_status_with_errors_leaving_the_project_unchanged(tmp_path, capsys):
    project = str(tmp_path / "p")
    assert main(["init", project]) == 0
    (tmp_path / "a.txt").write_text("Interviewer: Hi?\nP1: Hello there, I felt fine.\n")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4")
    assert main(["import", project, str(tmp_path / "a.txt"), str(tmp_path / "b.pdf")]) == 2
    assert "b.pdf" in capsys.readouterr().err
    assert main(["import", project, str(tmp_path / "a.txt")]) == 0
    assert "a: 2 segments" in capsys.readouterr().out
    assert main(["import", project, str(tmp_path / "a.txt")]) == 2
    assert "already in the project" in capsys.readouterr().err
    assert main(["status", project, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"documents": 1' in out and '"interviewer_segments": 1' in out
    assert main(["import", project]) == 2
    assert "nothing to import" in capsys.readouterr().err


def test_codings_import_names_the_coders_and_says_when_coder_flag_was_not_used(tmp_path, capsys):
    project = str(tmp_path / "p")
    main(["init", project])
    (tmp_path / "a.txt").write_text("P1: The wait was long.\n\nP1: Staff were kind.\n")
    (tmp_path / "cb.csv").write_text("code,name\nW,Waiting\nK,Kind staff\n")
    (tmp_path / "c.csv").write_text("document,text,code,coder\na,The wait was long,W,ana\na,Staff were kind,K,\n")
    assert main(["import", project, str(tmp_path / "a.txt"), "--codebook", str(tmp_path / "cb.csv")]) == 0
    assert "a: 2 segments" in capsys.readouterr().out
    assert main(["import", project, "--codings", str(tmp_path / "c.csv"), "--coder", "ben"]) == 0
    captured = capsys.readouterr()
    assert "Codings: 2 added" in captured.out and "(coders: ana, ben)" in captured.out
    assert "--coder ben applied only to rows without one" in captured.err


def test_each_commands_options_sit_beside_the_function_that_runs_it():
    from cli import COMMANDS

    assert list(COMMANDS) == commands_in_help_order()
    for spec in COMMANDS.values():
        assert spec.options.__module__ == spec.run.__module__, spec.name
        assert spec.help and spec.run.__name__ == f"cmd_{spec.name}"


def commands_in_help_order() -> list[str]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_an_index_layer_error_is_its_message_not_a_traceback(tmp_path, capsys):
    project = str(tmp_path / "p")
    assert main(["init", project, "--model", str(tmp_path / "no-model")]) == 0
    (tmp_path / "a.txt").write_text("P1: Hello there.\n")
    assert main(["import", project, str(tmp_path / "a.txt")]) == 0
    capsys.readouterr()
    assert main(["index", project]) == 2  # a ModelError, from the index layer
    err = capsys.readouterr().err
    assert err.startswith("codeseed index: error: ") and "no-model" in err and "How to fix" in err
    assert "Traceback" not in err
