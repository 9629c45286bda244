"""Every `$ scaling-plan ...` transcript of README.md and docs/*.md runs, and prints what its page shows (numbers to
a relative tolerance of 1e-3, text equal once whitespace is normalised: see transcripts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaling_plan.cli.app import app, load_commands

from .transcripts import FILTERS, PAGES, PROG, ROOT, Transcript, mismatch, parse, transcripts

load_commands()

#: What the folder the commands run in holds of the repository (read only; linked, not copied).
SHARED = ("configs", "tests", "examples")

#: Tables as a pipe gets them (full width, no colour): a page's transcript is what `scaling-plan ... | cat` prints.
ENV: dict[str, str | None] = {"COLUMNS": None, "NO_COLOR": "1", "SCALING_PLAN_DEBUG": None}

ALL = [transcript for page in PAGES for transcript in transcripts(page)]
RUN_PAGES = sorted({transcript.page for transcript in ALL})


def run_page(page: Path, folder: Path) -> list[str]:
    """Run the page's transcripts in order in `folder`; what differs from the page, one entry per command."""
    for name in SHARED:
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    runner = CliRunner()
    problems = []
    status = 0
    for transcript in (each for each in ALL if each.page == page):
        for command in transcript.commands:
            where = f"{page.relative_to(ROOT)}:{command.line}: $ {command.text}"
            if command.text == "echo $?":
                if transcript.skip is None and [line.strip() for line in command.expected] != [str(status)]:
                    problems.append(f"{where}\nthe page shows {command.expected}, the exit status was {status}")
                continue
            pipeline = parse(command.text)
            result = runner.invoke(app, pipeline.args, env=ENV, prog_name=PROG)
            status = result.exit_code
            stdout = result.stdout
            for name, args in pipeline.filters:
                stdout = FILTERS[name](stdout, args)
            if pipeline.to_file is not None:
                (folder / pipeline.to_file).write_text(stdout)
                stdout = ""
            shown = result.output if not pipeline.filters and pipeline.to_file is None else stdout + result.stderr
            if "Traceback" in shown or (result.exception and not isinstance(result.exception, SystemExit)):
                problems.append(f"{where}\nraised {result.exception!r}")
                continue
            if transcript.skip is not None:
                continue
            shows_error = any(line.startswith(f"{PROG}: error:") for line in command.expected)
            if status != 0 and not shows_error and not _status_shown(transcript, command.line):
                problems.append(f"{where}\nexited {status}, and the page shows no error:\n{shown}")
            difference = mismatch(command.expected, shown, transcript.rel_tol)
            if difference is not None:
                problems.append(f"{where}\n{difference}")
    return problems


def _status_shown(transcript: Transcript, line: int) -> bool:
    """Whether the command on `line` is followed by `$ echo $?`, which shows its exit status."""
    after = [command for command in transcript.commands if command.line > line]
    return bool(after) and after[0].text == "echo $?"


def test_the_pages_have_transcripts() -> None:
    """README.md and most pages show commands at work; a page whose blocks stopped being found would pass empty."""
    assert ROOT / "README.md" in RUN_PAGES
    assert len(ALL) >= 25 and sum(len(transcript.commands) for transcript in ALL) >= 35


def test_a_skipped_transcript_says_why() -> None:
    for transcript in ALL:
        assert transcript.skip is None or len(transcript.skip) > 10, transcript.name
        assert transcript.why_tolerance is None or len(transcript.why_tolerance) > 10, transcript.name


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(page.relative_to(ROOT)) for page in RUN_PAGES])
@pytest.mark.slow
def test_every_transcript_prints_what_its_page_shows(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    problems = run_page(page, tmp_path)
    assert not problems, "\n\n".join(problems)


def test_the_comparison_holds_numbers_to_the_tolerance_and_text_exactly() -> None:
    shown = ["Plan for 1.00e24 FLOPs", "│ Parameters N   │   91.3B │", "..."]
    assert mismatch(shown, "Plan for 1.0e24 FLOPs\n│ Parameters N │ 91.31B │\n│ more │") is None
    assert mismatch(shown, "Plan for 1.0e24 FLOPs\n│ Parameters N │ 91.5B │") is not None  # 0.2% off
    assert mismatch(shown, "Plan for 1.00e24 FLOPs\n│ Parameters N │ 91.4B │") is None  # one unit of its last digit
    assert mismatch(shown, "Plan for 1.00e24 FLOPs\n│ Parameters N │ 91.5B │", rel_tol=0.01) is None
    assert mismatch(shown, "Plan for 1.0e24 FLOPs\n│ Parameters M │ 91.3B │") is not None
    assert mismatch(["a b", "c"], "a\nb c") is None  # a line wrapped elsewhere
    assert mismatch(["a b"], "a b c") is not None  # output the page does not show, without a `...`
    assert mismatch(["...", "c"], "a b c") is None
    assert mismatch(["a", "...", "c", "..."], "a b c d") is None
    assert mismatch(["a", "...", "e"], "a b c d") is not None
    assert mismatch([], "") is None and mismatch([], "a") is not None


def test_the_pipes_transcripts_use_are_run_as_the_shell_would() -> None:
    assert FILTERS["head"]("1\n2\n3\n", ["-2"]) == "1\n2\n"
    assert FILTERS["cut"]("a,b,c,d\n1,2,3,4\n", ["-d,", "-f2-3"]) == "b,c\n2,3\n"
    assert FILTERS["cut"]("a,b,c,d,e\n", ["-d,", "-f1,3-4"]) == "a,c,d\n"
    assert FILTERS["jq"]('{"a": 1, "b": 2.5, "c": null}', ["{c, b}"]) == '{\n  "c": null,\n  "b": 2.5\n}\n'
    pipeline = parse("scaling-plan budget --dollars '$2M' | cut -d, -f1-9 | head -3")
    assert pipeline.args == ["budget", "--dollars", "$2M"] and [name for name, _ in pipeline.filters] == ["cut", "head"]
    assert parse("scaling-plan schema > out.json").to_file == "out.json"
    with pytest.raises(AssertionError, match="runs scaling-plan only"):
        parse("pip install scaling-plan")
