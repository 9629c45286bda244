"""Tables for people at any terminal width: nothing cut, nothing past the edge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..conftest import CONFIGS, ROOT, Cli

H100 = ("--gpu", "H100-SXM", "--gpus", "1024", "--price-per-gpu-hour", "2.5")
RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
SCORED = str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv")
CORE = "{core}"  # a downstream file, written once for the module (core_file)
COMMANDS = {
    "budget": ("budget", "--flops", "1e24", *H100),
    "budget --compare-laws": ("budget", "-c", str(CONFIGS / "h100-cluster-30d.yaml"), "--compare-laws"),
    "budget --blueprint": ("budget", "--flops", "1e24", "--blueprint", *H100),
    "budget, data and inference": ("budget", "-c", str(CONFIGS / "data-limited-served.yaml"), "--compare-laws"),
    "budget, intended run": ("budget", "-c", str(CONFIGS / "gopher-280b.yaml")),
    "sweep --compare-laws": ("sweep", "--from", "1e20", "--to", "1e24", "--per-decade", "1", "--compare-laws", *H100),
    "sweep --blueprint": ("sweep", "--from", "1e20", "--to", "1e24", "--blueprint", *H100),
    "sweep, data and inference": ("sweep", "--from", "1e20", "--to", "1e24", "--unique-tokens", "1T",
                                  "--inference-tokens", "1T"),
    "sweep in dollars": ("sweep", "--unit", "dollars", "--from", "$1M", "--to", "$100M", *H100),
    "compare": ("compare", *sorted(str(path) for path in CONFIGS.glob("*.yaml"))),
    "check": ("check", *sorted(str(path) for path in CONFIGS.glob("*.yaml")), "--min-tokens-per-param", "15"),
    "fit": ("fit", RUNS, "--max-flops", "3e19", "--bootstrap", "3"),  # few runs: the table, not the fit, is tested
    "fit --approach isoflop": ("fit", RUNS, "--approach", "isoflop", "--budget-rtol", "0.2", "--bootstrap", "5"),
    "backtest": ("backtest", RUNS, "--holdout-above", "1e21", "--approach", "both", "--budget-rtol", "0.2",
                 "--law", "epoch-2024"),
    "fit-downstream": ("fit-downstream", SCORED, "--metric", "eval_gauntlet/core_average", "--bootstrap", "20"),
    "budget --downstream": ("budget", "--flops", "1e22", "--downstream", CORE, *H100),
    "sweep --downstream": ("sweep", "--from", "1e20", "--to", "1e24", "--downstream", CORE, *H100),
    "compare --downstream": ("compare", str(CONFIGS / "chinchilla-70b.yaml"), str(CONFIGS / "gopher-280b.yaml"),
                             "--downstream", CORE),
    "backtest --downstream": ("backtest", SCORED, "--holdout-params-above", "3e9", "--downstream", CORE),
    "experiments": ("experiments", "--budgets", "1e18,1e19"),
    "suggest": ("suggest", RUNS, "--law", "{law}", "--target", "1e24", "--gpu", "H100"),
    "laws": ("laws",),
    "gpus": ("gpus",),
    "shape": ("shape", "--params", "7B", "--gpu", "H100-SXM"),
    "shape --hf-config": ("shape", "--hf-config", str(ROOT / "tests" / "data" / "hf_configs" / "deepseek-v3.json")),
    "predict": ("predict", "--params", "70B", "--tokens", "1.4T", "--gpu", "A100-SXM"),
    "serve": ("serve", "--hf-config", str(ROOT / "tests" / "data" / "hf_configs" / "mixtral-8x7b.json"), "--gpu",
              "H100-SXM", "--gpus", "2", "--price-per-gpu-hour", "2.5", "--tokens-per-second", "1e4"),
}  # fmt: skip
#: A table line starts and ends with a border; one cut at the edge ends mid-row.
BORDER = "│┃┏┓┗┛┡┩└┘┌┐╇╈┣┫"
#: An ellipsis inside a number or a word: the mark of a squeezed cell.
SQUEEZED = re.compile(r"\S…|…\S")


#: The everyday loop renders at 80 and 120 columns; the full suite also at the narrowest and the widest.
WIDTHS = [pytest.param(60, marks=pytest.mark.slow), 80, 120, pytest.param(200, marks=pytest.mark.slow)]


@pytest.fixture(scope="module")
def made_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A downstream file and a law with refits, for the commands that read them."""
    folder = tmp_path_factory.mktemp("tables")
    core, law = folder / "core.yaml", folder / "law.yaml"
    made = Cli().run("fit-downstream", SCORED, "--metric", "eval_gauntlet/core_average", "--bootstrap", "20", "-o",
                     str(core))  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert Cli().run("fit", RUNS, "--bootstrap", "20", "-o", str(law)).exit_code == 0
    return {CORE: str(core), "{law}": str(law)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.slow
def test_tables_fit_the_width_and_cut_nothing(cli: Cli, name: str, width: int, made_files: dict[str, str]) -> None:
    args = [made_files.get(arg, arg) for arg in COMMANDS[name]]
    result = cli.run(*args, env={"COLUMNS": str(width)})
    assert result.exit_code in (0, 1), result.stderr
    for line in result.stdout.splitlines():
        assert len(line) <= width, (width, line)
        assert "…" not in line and not SQUEEZED.search(line), line
        if line[:1] in BORDER:
            assert line.rstrip()[-1:] in BORDER, line  # a row cropped at the edge loses its closing border


def test_a_pipe_without_columns_gets_full_width_lines(cli: Cli) -> None:
    wide = cli.run(*COMMANDS["sweep --compare-laws"]).stdout
    assert max(len(line) for line in wide.splitlines()) > 120  # one table, not split for a terminal
    narrow = cli.run(*COMMANDS["sweep --compare-laws"], env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_a_column_the_same_in_every_row_becomes_one_line(cli: Cli) -> None:
    text = cli.run(*COMMANDS["budget --compare-laws"], env={"COLUMNS": "200"}).stdout
    assert "Every row: Compute (FLOPs) 9.98e23; GPU-hours 737K; Wall-clock days 30.0; Cost (USD) $1.62M." in text


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.slow
def test_configs_with_long_paths_fold_their_names_and_keep_numbers_whole(cli: Cli, tmp_path: Path, width: int) -> None:
    import shutil

    deep = tmp_path / "a" / "team" / "with" / "deeply" / "nested" / "folders" / "of" / "configs"
    shutil.copytree(CONFIGS, deep)
    configs = sorted(str(path) for path in deep.glob("*.yaml"))
    for args in (("check", *configs, "--min-tokens-per-param", "15"), ("compare", *configs)):
        result = cli.run(*args, env={"COLUMNS": str(width)})
        assert result.exit_code in (0, 1), result.stderr
        for line in result.stdout.splitlines():
            assert len(line) <= width and "…" not in line, line
            if line[:1] in BORDER:
                assert line.rstrip()[-1:] in BORDER, line
        assert "20.0" in result.stdout  # a number, whole, beside the folded paths


@pytest.mark.slow
def test_quiet_drops_the_notes_under_tables_and_keeps_the_numbers(cli: Cli) -> None:
    loud = cli.run("budget", "--flops", "1e24", *H100, env={"COLUMNS": "120"})
    quiet = cli.run("budget", "--flops", "1e24", *H100, "--quiet", env={"COLUMNS": "120"})
    assert "Allocation: tokens-per-param rule" in loud.stdout and "Allocation:" not in quiet.stdout
    assert "Cost = GPU-hours" in loud.stdout and "Cost = GPU-hours" not in quiet.stdout
    assert [line for line in loud.stdout.splitlines() if line.startswith("│")] == [
        line for line in quiet.stdout.splitlines() if line.startswith("│")
    ]
    for command in (COMMANDS["sweep --compare-laws"], COMMANDS["shape"], COMMANDS["predict"], COMMANDS["fit"]):
        assert not cli.run(*command).stdout.splitlines()[-1].startswith("└")  # a note
        assert cli.run(*command, "-q").stdout.splitlines()[-1].startswith("└"), command


def test_budget_as_markdown_is_a_titled_table_per_view_with_notes_as_a_list(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e24", "--compare-laws", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("**Plan for 1.00e24 FLOPs**\n\n| Quantity | Value |\n|:---|---:|\n")
    assert "| Parameters N | 91.3B |" in text  # sqrt(1e24 / 120) = 9.13e10 under the 20 tokens/param rule
    assert "**The same question under each allocation**" in text
    assert "| law | kaplan-2020 |" in text and "- Allocation: tokens-per-param rule" in text
    assert not any(line.startswith(("┏", "│", "└")) for line in text.splitlines())
    quiet = cli.run("budget", "--flops", "1e24", "--format", "markdown", "--quiet").stdout
    assert "| Parameters N | 91.3B |" in quiet and "- " not in quiet


@pytest.mark.slow
def test_comparisons_that_mix_loss_datasets_say_so_beside_the_loss(cli: Cli) -> None:
    text = cli.run(*COMMANDS["budget --compare-laws"], env={"COLUMNS": "120"}).stdout
    assert "Loss measured" in text and "WebText2" in text and "C4" in text
    assert "Losses are on 3 datasets" in " ".join(text.split())
    sweep = cli.run(*COMMANDS["sweep --compare-laws"], env={"COLUMNS": "1000"}).stdout
    assert "kaplan-2020 Loss on WebText2" in sweep and "datablations-2023 Loss on C4" in sweep
    assert "chinchilla-2022 Loss on" not in sweep  # MassiveText, as the plan's own epoch-2024
    one_dataset = cli.run("budget", "--flops", "1e24", "--compare-laws", "--law", "kaplan-2020", env={"COLUMNS": "200"})
    assert "Loss measured" in one_dataset.stdout  # kaplan's WebText2 beside the MassiveText laws


def test_a_loss_target_is_never_compared_across_datasets(cli: Cli) -> None:
    result = cli.run("budget", "--loss", "2.0", "--compare-laws", "--format", "json")
    assert result.exit_code == 0, result.stderr
    import json

    laws = {row["law"] for row in json.loads(result.stdout)["compare_laws"]}
    # All on MassiveText: kaplan-2020 (WebText2) and datablations-2023 (C4) are left out.
    assert laws == {"epoch-2024", "chinchilla-2022", "chinchilla-2022-unrounded"}
    assert "kaplan-2020 left out: its loss is on WebText2 (GPT-2 tokenizer), not MassiveText" in result.stderr


def test_sweep_tables_show_the_columns_their_flags_add(cli: Cli) -> None:
    result = cli.run(*COMMANDS["sweep, data and inference"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    for heading in ("Epochs", "Data penalty", "Inference-aware N", "Inference-aware D", "FLOPs saved"):
        assert heading in result.stdout, heading
    assert "Inference-aware: the model with each row's loss" in result.stdout
    plain = cli.run("sweep", "--from", "1e20", "--to", "1e24", env={"COLUMNS": "200"}).stdout
    assert "Epochs" not in plain and "Inference-aware" not in plain
    # Warnings name a budget and a token count as the tables do.
    repeated = cli.run("sweep", "--from", "1e20", "--to", "1e24", "--unique-tokens", "100B")
    assert "budget 1.00e24 FLOPs: 18.3 epochs over 100B unique tokens" in repeated.stderr
    assert "e+" not in repeated.stderr + repeated.stdout


@pytest.mark.slow
def test_each_split_table_of_held_out_runs_keeps_each_rows_n_and_d(cli: Cli) -> None:
    """Was: at 60 columns the second table of held-out predictions showed only 'Predicted by', so its rows matched
    the first table's N and D by order alone."""
    result = cli.run("backtest", RUNS, "--holdout-top", "7", env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.stderr
    held_out = result.stdout.split("Held-out predictions")[1]
    headers = [line for line in held_out.splitlines() if line.startswith("┃")]
    tables = held_out.count("┏")
    assert tables >= 2  # split for the width
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in held_out.splitlines() if line[:1] == "│"]
    assert len(rows) == 7 * tables
    first, *others = [rows[k * 7 : (k + 1) * 7] for k in range(tables)]
    for table in others:
        assert [row[:3] for row in table] == [row[:3] for row in first]  # method, N and D in every table
    assert sum("Parameters" in line for line in headers) == tables
    assert {row[1] for row in first} >= {"12.6B", "6.80B"} and {row[2] for row in first} >= {"39.4B", "318B"}


def table_column(text: str, heading: str) -> list[str]:
    """The cells under `heading` in a rich table printed to a pipe (one line per row)."""
    lines = [line for line in text.splitlines() if line.startswith(("┃", "│"))]
    headings = [cell.strip() for cell in lines[0].strip("┃").split("┃")]
    index = headings.index(heading)
    return [line.strip("│").split("│")[index].strip() for line in lines[1:]]


def test_a_sweep_shows_its_wall_clock_time_in_one_unit_said_in_the_heading(cli: Cli) -> None:
    """Was: one "Days" column holding 0.0686 h, 6.86 h and 2.86 (days)."""
    args = ("sweep", "--per-decade", "1", "--gpu", "H100-SXM", "--gpus", "1024", "-q")
    days = [row["wall_clock_days"] for row in cli.json(*args, "--from", "1e20", "--to", "1e24")["plans"]]
    assert min(days) < 1 < max(days)  # some under a day, some over: the whole column in days
    cells = table_column(cli.run(*args, "--from", "1e20", "--to", "1e24").stdout, "Days")
    assert [float(cell) for cell in cells] == pytest.approx(days, rel=5e-3)
    hours = [row["wall_clock_days"] * 24 for row in cli.json(*args, "--from", "1e20", "--to", "1e22")["plans"]]
    assert max(hours) < 24  # every one under a day: the whole column in hours
    cells = table_column(cli.run(*args, "--from", "1e20", "--to", "1e22").stdout, "Hours")
    assert [float(cell) for cell in cells] == pytest.approx(hours, rel=5e-3)


def test_a_plan_under_a_day_says_hours_in_its_label(cli: Cli) -> None:
    args = ("budget", "--flops", "1e22", "--gpu", "H100-SXM", "--gpus", "1024", "-q")
    hours = cli.json(*args)["wall_clock_days"] * 24
    row = next(line for line in cli.run(*args).stdout.splitlines() if "Wall-clock" in line)
    assert "Wall-clock hours" in row and float(row.strip("│ ").split("│")[-1]) == pytest.approx(hours, rel=5e-3)


def test_check_shows_each_limit_in_its_unit(cli: Cli) -> None:
    """Was: Measured 1.03e6 and Limit 5.00e5 for dollars."""
    args = ("check", str(CONFIGS / "chinchilla-70b.yaml"), "--max-cost-usd", "5e5")
    document = json.loads(cli.run(*args, "-f", "json").stdout)  # exit 1: the cost rule fails
    results = {result["rule"]: result for result in document["results"] if result["rule"]}
    cost, days = results["max_cost_usd"], results["max_wall_clock_days"]
    assert cost["limit"] == 5e5 and cost["unit"] == "USD"  # the machine formats keep plain numbers
    text = cli.run(*args).stdout
    measured, limit, why = table_column(text, "Measured"), table_column(text, "Limit"), table_column(text, "Why")
    row = table_column(text, "Rule").index("max_cost_usd")
    dollars = f"${cost['measured'] / 1e6:.2f}M"
    assert (measured[row], limit[row]) == (dollars, "$500K")
    assert why[row] == f"{dollars} is above the maximum $500K (--max-cost-usd)"
    row = table_column(text, "Rule").index("max_wall_clock_days")
    assert (measured[row], limit[row]) == (f"{days['measured']:.1f} days", "30.0 days")
    markdown = cli.run(*args, "-f", "markdown").stdout
    assert f"| ${cost['measured'] / 1e6:.2f}M | $500K |" in markdown


def test_a_check_report_shows_a_dash_where_a_config_could_not_be_measured(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("hardware:\n  gpu: H900\nbudget:\n  flops: 1e22\n")
    result = cli.run("check", str(bad), "--min-tokens-per-param", "15", "-f", "markdown")
    assert (
        result.exit_code == 2
        and f"| {bad} | - | **ERROR** | - | - | {bad}:2: hardware.gpu: unknown GPU" in result.stdout
    )
