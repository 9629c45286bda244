"""Runs files as spreadsheets and trackers write them: each form reads to the same runs as the plain CSV.

Each file below is written the way the program named writes it: LibreOffice and Excel in a decimal-comma locale
(`;` between cells, `2,8134`), Excel in an English locale (CRLF lines, quoted `"22,821,773"`, trailing `,,,,` rows),
Excel's "Unicode Text" (UTF-16, tabs), and trackers' JSON arrays.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scaling_plan.inputs.runs import plain_number, read_runs

from ..conftest import ROOT, Cli

CHINCHILLA = ROOT / "tests" / "data" / "chinchilla_approach3_points.csv"


def _runs() -> list[tuple[int, int, float]]:
    """Forty of Hoffmann et al. 2022's runs (as digitised in tests/data), with whole parameter and token counts as a
    team's own sheet holds them."""
    with CHINCHILLA.open() as handle:
        rows = list(csv.DictReader(handle))[:40]
    runs = []
    for row in rows:
        n = round(float(row["Model Size"]))
        runs.append((n, round(float(row["Training FLOP"]) / (6 * n)), round(float(row["loss"]), 4)))
    return runs


RUNS = _runs()


def _read(path: Path, **columns: str) -> list[tuple[float, float, float]]:
    table = read_runs(str(path), **columns)  # type: ignore[arg-type]
    return list(zip(table.n_params, table.n_tokens, table.loss_nats, strict=True))


def _expected() -> list[tuple[float, float, float]]:
    return [(float(n), float(d), loss) for n, d, loss in RUNS]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_libreoffice_in_a_decimal_comma_locale(tmp_path: Path) -> None:
    lines = ["n_params;n_tokens;loss_nats"] + [f"{n};{d};{str(loss).replace('.', ',')}" for n, d, loss in RUNS]
    assert _read(_write(tmp_path / "runs.csv", "\n".join(lines) + "\n")) == _expected()


def test_excel_in_a_decimal_comma_locale_groups_thousands_with_dots(tmp_path: Path) -> None:
    def grouped(value: int) -> str:
        return f"{value:,}".replace(",", ".")

    lines = ["n_params;n_tokens;loss_nats"]
    lines += [f"{grouped(n)};{grouped(d)};{str(loss).replace('.', ',')}" for n, d, loss in RUNS]
    assert _read(_write(tmp_path / "runs.csv", "\r\n".join(lines) + "\r\n")) == _expected()


def test_excel_quoted_thousands_trailing_empty_rows_and_crlf(tmp_path: Path) -> None:
    lines = ["n_params,n_tokens,loss_nats,,"] + [f'"{n:,}","{d:,}",{loss},,' for n, d, loss in RUNS] + [",,,,"] * 3
    assert _read(_write(tmp_path / "runs.csv", "\r\n".join(lines) + "\r\n")) == _expected()


def test_a_comment_line_before_the_header_and_headers_with_spaces(tmp_path: Path) -> None:
    lines = ["# exported from sheet 'sweep 3', 2026-11-30", " Params , Tokens ,  Loss "]
    lines += [f"{n},{d},{loss}" for n, d, loss in RUNS]
    path = _write(tmp_path / "runs.csv", "\n".join(lines) + "\n")
    assert _read(path) == _expected()  # ' Params ' is found as params, ' Loss ' as loss
    assert _read(path, params_col="params", tokens_col="TOKENS", loss_col="loss") == _expected()


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    lines = ["n_params\tn_tokens\tloss_nats"] + [f"{n}\t{d}\t{loss}" for n, d, loss in RUNS]
    assert _read(_write(tmp_path / "runs.txt", "\r\n".join(lines) + "\r\n", "utf-16")) == _expected()


def test_a_tab_separated_file_with_decimal_commas(tmp_path: Path) -> None:
    lines = ["n_params\tn_tokens\tloss_nats"] + [f"{n}\t{d}\t{str(loss).replace('.', ',')}" for n, d, loss in RUNS]
    assert _read(_write(tmp_path / "runs.tsv", "\n".join(lines) + "\n")) == _expected()


def test_a_json_array_names_the_line_of_a_bad_record(cli: Cli, tmp_path: Path) -> None:
    records = [{"n_params": n, "n_tokens": d, "loss_nats": loss} for n, d, loss in RUNS]
    path = _write(tmp_path / "runs.json", json.dumps(records, indent=2))
    assert _read(path) == _expected()
    records[4]["loss_nats"] = -1.0
    bad = _write(tmp_path / "bad.json", json.dumps(records, indent=2))
    assert f"bad.json:{2 + 4 * 5}: loss_nats: must be positive" in cli.error("fit", str(bad))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"n_params": 1e9}\n {"n_params": 2e9}]', ":2: not a JSON array: Expecting ',' delimiter"),
        ('[{"n_params": 1e9},\n{"n_params": 2e9},\n]', ":3: not a JSON array: Expecting value"),
        ('[{"n_params": 1e9},\n {"n_params": 2e9}]\n[]', ":3: not a JSON array: Extra data"),
        ('[{"n_params": 1e9},\n\n 7]', ":3: item 2: expected a JSON object, got int"),
        ('[{"n_params": 1e9},\n {"n_params": 2e9', ":2: not a JSON array: Expecting ',' delimiter"),
        ("[\n]", "no runs: the file has a header but no rows"),
    ],
)
def test_a_json_array_that_cannot_be_read_names_its_line(cli: Cli, tmp_path: Path, text: str, expected: str) -> None:
    assert expected in cli.error("fit", str(_write(tmp_path / "runs.json", text)))


def test_a_half_filled_grid_fits_with_one_warning(cli: Cli, tmp_path: Path) -> None:
    grid = cli.run("experiments", "--budgets", "1e17,3e17,1e18,3e18,1e19,3e19", "-f", "csv").stdout.splitlines()
    rows = list(csv.DictReader(grid))
    filled = []
    for index, row in enumerate(rows):
        n, d = int(row["n_params"]), int(row["n_tokens"])
        if index % 2 == 0:  # every other run has finished
            row["loss_nats"] = str(1.82 + 482.0 / n**0.35 + 2085.0 / d**0.37)
        filled.append(row)
    path = tmp_path / "grid.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(filled[0]))
        writer.writeheader()
        writer.writerows(filled)
    result = cli.run("fit", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_runs"] == 21
    warnings = result.stderr.splitlines()
    assert warnings == [f"scaling-plan: warning: {path}: 21 runs without a loss skipped (the first at line 3);"
                        " --require-complete refuses a file with any"]  # fmt: skip
    assert f"{path}:3: loss_nats: empty" in cli.error("fit", str(path), "--require-complete")


@pytest.mark.slow  # a plot (matplotlib)
def test_plot_reads_the_runs_files_fit_reads(cli: Cli, tmp_path: Path) -> None:
    lines = ["Params;Tokens;Final loss"] + [f"{n};{d};{str(loss).replace('.', ',')}" for n, d, loss in RUNS]
    runs = _write(tmp_path / "runs.csv", "\n".join(lines) + "\n")
    image = tmp_path / "runs.svg"
    result = cli.run("plot", "chinchilla-2022", "--runs", str(runs), "--loss-col", "final loss", "-o", str(image))
    assert result.exit_code == 0, result.stderr
    assert image.read_text().lstrip().startswith("<?xml")
    assert "--loss-col" in cli.error("plot", "chinchilla-2022", "--runs", str(runs), "-o", str(image))


@pytest.mark.parametrize(
    ("cell", "decimal_comma", "plain"),
    [
        ("22,821,773", False, "22821773"),
        ("1,234.5", False, "1234.5"),
        ("22 821 773", False, "22821773"),
        ("22\u202f821\u202f773", True, "22821773"),
        ("2,8134", True, "2.8134"),
        ("22.821.773", True, "22821773"),
        ("22.821.773,5", True, "22821773.5"),
        ("2.8134", True, "2.8134"),  # one dot, no comma: a decimal point even in a decimal-comma file
        ("1,5e9", True, "1.5e9"),
        ("70B", False, "70B"),
        ("2,81", False, "2,81"),  # not thousands: left for the reader to refuse, naming the cell
    ],
)
def test_numbers_as_spreadsheets_show_them(cell: str, decimal_comma: bool, plain: str) -> None:
    assert plain_number(cell, decimal_comma) == plain


def test_a_number_that_is_neither_is_refused_naming_the_cell(cli: Cli, tmp_path: Path) -> None:
    lines = ["n_params,n_tokens,loss"] + [f"{n},{d},{loss}" for n, d, loss in RUNS[:6]] + ['"2,81",1e9,3.1']
    line = cli.error("fit", str(_write(tmp_path / "runs.csv", "\n".join(lines) + "\n")))
    assert "runs.csv:8: n_params: cannot read '2,81' as a number" in line
