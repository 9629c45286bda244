"""The `$ scaling-plan ...` transcripts of README.md and docs/*.md: found, run in-process, and compared with the page.

A transcript is a ```console block. Each `$ ` line is a command, and the lines under it, up to the next `$ ` line,
are what it printed (stdout and stderr, in the order a terminal shows them). A line that is only `...` or `…`
stands for output left out of the page; every other line is compared:

- numbers agree to a relative tolerance of REL_TOL (1e-3), or to one unit of the last digit either prints (2.31 and
  2.32 agree): the pages round what the tool prints, and a fit's last digits may move with the machine's numpy and
  BLAS, which flips a rounded digit however small the move;
- everything else is equal once whitespace is normalised: runs of spaces and line breaks count as one space (so a
  note wrapped at another width still matches), and a run of a table's rule characters (─, ━) as one.

A command is `scaling-plan ...`, optionally piped through `head -N`, `cut -d, -fA-B` or `jq '{key, ...}'`, or with
its stdout sent to a file with `> FILE`; a piped command's stderr follows its piped stdout. `$ echo $?` prints the
exit status of the command before it. Any other command is refused, so that no page shows a transcript the tests
cannot run. Every command that shows no error line must exit 0.

A block is not compared when the comment line just above its fence says `<!-- transcript: skip: WHY -->`, where
WHY says what in its output depends on the machine; its numbers agree to a wider relative tolerance when that line
says `<!-- transcript: tolerance 1%: WHY -->`, WHY saying why they move that much.

The commands of one page run in order in one temporary folder that holds the repository's configs/, tests/ and
examples/, so a file one writes (`fit ... -o fitted.yaml`) is there for the next, and none is left in the repository.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

#: Numbers on a page agree with the tool's to this relative tolerance.
REL_TOL = 1e-3

#: The pages whose transcripts are run.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

PROG = "scaling-plan"
ELISIONS = {"...", "…"}
SKIP = re.compile(r"<!--\s*transcript:\s*skip:\s*(?P<why>\S.*?)\s*-->")
TOLERANCE = re.compile(r"<!--\s*transcript:\s*tolerance\s+(?P<pct>[\d.]+)%:\s*(?P<why>\S.*?)\s*-->")

#: A number (70, 1,024, 1.9597, 5.88e+23), a word (H100, epoch, n_params), a run of a table's rule characters, or
#: any other single character.
_TOKEN = re.compile(
    r"(?P<number>\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[^\W\d]\w*)"
    r"|(?P<rule>[\u2500-\u257f]+)"
    r"|(?P<other>\S)"
)


@dataclass
class Command:
    line: int  # the line of the page the command is on
    text: str  # the command as written after `$ `
    expected: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    page: Path
    line: int  # the line of the block's opening fence
    commands: list[Command]
    skip: str | None  # why the block's output is not compared, or None
    rel_tol: float = REL_TOL  # how closely its numbers agree
    why_tolerance: str | None = None  # why that is wider than REL_TOL

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def transcripts(page: Path) -> list[Transcript]:
    """The ```console blocks of a page, each with its commands and the output shown under each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Transcript] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.strip() == "```console":
            indent = len(line) - len(line.lstrip())
            above = lines[number - 1].strip() if number else ""
            skip, wider = SKIP.fullmatch(above), TOLERANCE.fullmatch(above)
            transcript = Transcript(page, number + 1, [], skip["why"] if skip else None)
            if wider:
                transcript.rel_tol, transcript.why_tolerance = float(wider["pct"]) / 100, wider["why"]
            number += 1
            while lines[number].strip() != "```":
                text = lines[number][indent:]
                if text.startswith("$ "):
                    transcript.commands.append(Command(number + 1, text[2:].strip()))
                elif transcript.commands:
                    transcript.commands[-1].expected.append(text)
                else:
                    raise AssertionError(f"{page.relative_to(ROOT)}:{number + 1}: output before any `$ ` command")
                number += 1
            found.append(transcript)
        number += 1
    return found


@dataclass(frozen=True)
class Number:
    value: float
    unit: float  # one unit of its last printed digit: 0.01 for 2.31, 1e21 for 5.88e+23


def _number(text: str) -> Number:
    mantissa, _, exponent = text.replace(",", "").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Number(float(text.replace(",", "")), 10.0 ** (int(exponent or 0) - decimals))


def tokens(text: str) -> list[str | Number]:
    """The text as numbers and other tokens (strings), whitespace left out."""
    found: list[str | Number] = []
    for match in _TOKEN.finditer(text):
        if match["number"] is not None:
            found.append(_number(match["number"]))
        elif match["rule"] is not None:
            found.append(re.sub(r"([─━═])\1+", r"\1", match["rule"]))
        else:
            found.append(match.group())
    return found


def _same(expected: str | Number, actual: str | Number, rel_tol: float) -> bool:
    if isinstance(expected, Number) and isinstance(actual, Number):
        unit = max(expected.unit, actual.unit) * (1 + 1e-9)
        return math.isclose(expected.value, actual.value, rel_tol=rel_tol, abs_tol=unit)
    return expected == actual


def _matches_at(segment: list[str | Number], actual: list[str | Number], at: int, rel_tol: float) -> bool:
    return at + len(segment) <= len(actual) and all(
        _same(e, a, rel_tol) for e, a in zip(segment, actual[at:], strict=False)
    )


def mismatch(expected_lines: list[str], actual_text: str, rel_tol: float = REL_TOL) -> str | None:
    """None when the output matches what the page shows; else what differs."""
    segments: list[list[str]] = [[]]
    for line in expected_lines:
        if line.strip() in ELISIONS:
            segments.append([])
        else:
            segments[-1].append(line)
    anchored_start = not expected_lines or expected_lines[0].strip() not in ELISIONS
    anchored_end = not expected_lines or expected_lines[-1].strip() not in ELISIONS
    actual = tokens(actual_text)
    at = 0
    for index, lines in enumerate(segments):
        segment = tokens("\n".join(lines))
        if not segment:
            continue
        last = index == len(segments) - 1
        if index == 0 and anchored_start:
            starts = [0]
        elif last and anchored_end:
            starts = [len(actual) - len(segment)]
        else:
            starts = list(range(at, len(actual) - len(segment) + 1))
        found = next((start for start in starts if start >= at and _matches_at(segment, actual, start, rel_tol)), None)
        if found is None:
            return f"the page shows\n{chr(10).join(lines)}\nwhich is not in the output\n{actual_text}"
        at = found + len(segment)
    if anchored_end and at != len(actual):
        return f"the output goes on past what the page shows:\n{actual_text}"
    return None


def _head(text: str, args: list[str]) -> str:
    (option,) = args
    count = int(option.removeprefix("-n").removeprefix("-"))
    return "".join(text.splitlines(keepends=True)[:count])


def _cut(text: str, args: list[str]) -> str:
    """`cut -d, -fLIST`, LIST as `2`, `1-9` or `1-5,8-11`."""
    delimiter, fields = args
    assert delimiter == "-d," and fields.startswith("-f"), args
    wanted: list[int] = []
    for part in fields[2:].split(","):
        first, _, last = part.partition("-")
        wanted += range(int(first) - 1, int(last or first))
    return "".join(
        ",".join(cell for i, cell in enumerate(line.split(",")) if i in wanted) + "\n" for line in text.splitlines()
    )


def _jq(text: str, args: list[str]) -> str:
    """jq's object construction, `{a, b}`: the keys picked from the document, printed as jq prints them."""
    (program,) = args
    assert re.fullmatch(r"\{\s*\w+(\s*,\s*\w+)*\s*\}", program), f"jq: only {{key, ...}} is run here: {program}"
    document = json.loads(text)
    keys = [key.strip() for key in program.strip("{} ").split(",")]
    return json.dumps({key: document.get(key) for key in keys}, indent=2, ensure_ascii=False) + "\n"


FILTERS = {"head": _head, "cut": _cut, "jq": _jq}


@dataclass
class Pipeline:
    args: list[str]  # scaling-plan's arguments
    filters: list[tuple[str, list[str]]]  # each stage after a `|`: its program and arguments
    to_file: str | None  # `> FILE`


def parse(command: str) -> Pipeline:
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|>")
    lexer.whitespace_split = True
    words = list(lexer)
    stages: list[list[str]] = [[]]
    to_file = None
    while words:
        word = words.pop(0)
        if word == "|":
            stages.append([])
        elif word == ">":
            to_file = words.pop(0)
            assert not words, f"nothing may follow `> {to_file}`: {command}"
        else:
            stages[-1].append(word)
    program, *args = stages[0]
    assert program == PROG, f"a transcript runs {PROG} only (and `echo $?`): {command}"
    filters = [(stage[0], stage[1:]) for stage in stages[1:]]
    for name, _ in filters:
        assert name in FILTERS, f"no `{name}` in transcripts: pipe through {', '.join(FILTERS)}: {command}"
    return Pipeline(args, filters, to_file)
