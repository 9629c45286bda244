"""Both front doors give one answer: for each command the Python API offers, the API's warnings are the lines the
command prints on stderr, and an input the command refuses (exit 2) the API refuses with the same message, its inputs
named as keywords where the command names flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import scaling_plan as sp
from scaling_plan.errors import ScalingPlanError

from ..conftest import CONFIGS, ROOT, Cli

RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
SARDANA = str(ROOT / "tests" / "data" / "sardana2024_training_runs.csv")
SARDANA_COLUMNS = ("--params-col", "Parameters", "--tokens-col", "Tokens", "--loss-col", "Smoothed Loss")
SARDANA_KEYWORDS = {"params_col": "Parameters", "tokens_col": "Tokens", "loss_col": "Smoothed Loss"}


def _warnings(stderr: str) -> list[str]:
    """The command's warnings, with each flag named as the API names its keyword (--law is law)."""
    import re

    from scaling_plan.cli.app import _flags

    keyword = {flag: field for field, flag in _flags().items()}
    lines = [line.removeprefix("scaling-plan: warning: ") for line in stderr.splitlines() if "warning: " in line]
    return [re.sub(r"--[a-z][a-z0-9-]*", lambda m: keyword.get(m.group(), m.group()), line) for line in lines]


@pytest.fixture(scope="module")
def scores_with_a_gap(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Sardana et al.'s runs with one run's score not filled in yet: a warning, at either door."""
    import csv

    with open(SARDANA, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[3]["eval_gauntlet/core_average"] = ""
    path = tmp_path_factory.mktemp("scores") / "scores.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


@pytest.fixture(scope="module")
def law_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    from typer.testing import CliRunner

    from scaling_plan.cli.app import app

    path = tmp_path_factory.mktemp("law") / "law.yaml"
    assert CliRunner().invoke(app, ["fit", RUNS, "--bootstrap", "40", "-o", str(path)]).exit_code == 0
    return str(path)


#: Each question both doors take that warns: the command line, and the same question through the API.
WARNING_CASES: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "budget extrapolated, rule far from law": (
        ("budget", "--flops", "1e28", "--law", "chinchilla-2022"),
        lambda law: sp.plan(flops=1e28, law="chinchilla-2022"),
    ),
    "budget: the inference-aware model over a hard budget": (
        ("budget", "--days", "45", "--gpus", "512", "--gpu", "H100", "--price-per-gpu-hour", "2.1", "--inference-tokens",
         "10T", "--blueprint"),
        lambda law: sp.plan(days=45, gpus=512, gpu="H100", price_per_gpu_hour=2.1, inference_tokens="10T",
                            blueprint=True),
    ),
    "budget with a config": (
        ("budget", "-c", str(CONFIGS / "data-limited-served.yaml")),
        lambda law: sp.plan(config=str(CONFIGS / "data-limited-served.yaml")),
    ),
    "sweep across the fitted range": (
        ("sweep", "--from", "1e16", "--to", "1e28", "--per-decade", "1", "--unique-tokens", "25B", "--law",
         "datablations-2023"),
        lambda law: sp.sweep(start=1e16, stop=1e28, per_decade=1, unique_tokens="25B", law="datablations-2023"),
    ),
    "fit with too few refits": (("fit", RUNS, "--bootstrap", "1"), lambda law: sp.fit(RUNS, bootstrap=1)),
    "fit, isoFLOP, with refits": (
        ("fit", RUNS, "--approach", "isoflop", "--bootstrap", "20"),
        lambda law: sp.fit(RUNS, approach="isoflop", bootstrap=20),
    ),
    "fit-downstream with a score not in yet": (
        ("fit-downstream", "{scores}", *SARDANA_COLUMNS, "--metric", "eval_gauntlet/core_average"),
        lambda scores: sp.fit_downstream(scores, metric="eval_gauntlet/core_average", **SARDANA_KEYWORDS),
    ),
    "suggest with a law fitted on other runs": (
        ("suggest", SARDANA, *SARDANA_COLUMNS, "--law", "{law}", "--target", "1e24"),
        lambda law: sp.suggest(SARDANA, law=law, target=1e24, **SARDANA_KEYWORDS),
    ),
    "compare": (
        ("compare", str(CONFIGS / "data-limited-served.yaml"), str(CONFIGS / "flops-1e24.yaml")),
        lambda law: sp.compare([str(CONFIGS / "data-limited-served.yaml"), str(CONFIGS / "flops-1e24.yaml")]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(WARNING_CASES))
@pytest.mark.slow
def test_the_apis_warnings_are_the_lines_the_command_prints(
    cli: Cli, law_file: str, scores_with_a_gap: str, case: str
) -> None:
    args, asked = WARNING_CASES[case]
    given = scores_with_a_gap if "{scores}" in args else law_file
    result = cli.run(*(arg.replace("{law}", law_file).replace("{scores}", scores_with_a_gap) for arg in args), "-f",
                     "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    said = _warnings(result.stderr)
    assert said, f"{case}: the case must warn, or it checks nothing"
    assert list(asked(given).warnings) == said


#: Each input both doors refuse: the command line, the API's call, and the keyword it names.
REFUSAL_CASES: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "a negative budget": (("budget", "--flops", "-1"), lambda law: sp.plan(flops=-1)),
    "a size without its suffix": (("budget", "--params", "70"), lambda law: sp.plan(params=70)),
    "a method in no list": (("budget", "--flops", "1e24", "--method", "lwa"), lambda law: sp.plan(flops=1e24,
                                                                                                   method="lwa")),
    "a sweep running backwards": (("sweep", "--from", "1e22", "--to", "1e20"), lambda law: sp.sweep(start="1e22",
                                                                                                  stop="1e20")),
    "a negative seed": (("fit", RUNS, "--bootstrap", "5", "--seed", "-1"), lambda law: sp.fit(RUNS, bootstrap=5,
                                                                                               seed=-1)),
    "refits past their cap": (("fit", RUNS, "--bootstrap", "100000"), lambda law: sp.fit(RUNS, bootstrap=100_000)),
    "an objective in no list": (
        ("suggest", RUNS, "--law", "{law}", "--target", "1e24", "--objective", "bad"),
        lambda law: sp.suggest(RUNS, law=law, target=1e24, objective="bad"),
    ),
    "a target below the runs": (
        ("suggest", RUNS, "--law", "{law}", "--target", "1e10"),
        lambda law: sp.suggest(RUNS, law=law, target=1e10),
    ),
    "a metric at chance": (
        ("fit-downstream", SARDANA, *SARDANA_COLUMNS, "--metric", "mmlu_5_shot_avg", "--chance", "0.9"),
        lambda law: sp.fit_downstream(SARDANA, metric="mmlu_5_shot_avg", chance=0.9, **SARDANA_KEYWORDS),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSAL_CASES))
def test_an_input_one_door_refuses_the_other_refuses_in_the_same_words(cli: Cli, law_file: str, case: str) -> None:
    args, asked = REFUSAL_CASES[case]
    result = cli.run(*(arg.replace("{law}", law_file) for arg in args))
    assert result.exit_code == 2, (case, result.stderr)
    line = result.stderr.strip().removeprefix("scaling-plan: error: ")
    with pytest.raises(ScalingPlanError) as refused:
        asked(law_file)
    error = refused.value
    assert "--" not in error.where, error.where  # the API names keywords, never flags
    if case == "a negative seed":  # Click refuses it first, in its own words for a value out of an option's range
        assert "--seed" in line and error.field == "seed"
        return
    assert _warnings("scaling-plan: warning: " + line) == [str(error)]  # the same words, but for flags and keywords
