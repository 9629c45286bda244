"""The budget command end to end through the real CLI, comparing parsed JSON and CSV."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from scaling_plan.presets import PRESETS

from ..conftest import CONFIGS, Cli

EPOCH = PRESETS["epoch-2024"]


def test_flops_budget_follows_the_20x_rule_and_names_rule_and_law(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24")
    n_params = math.sqrt(1e24 / 120)
    assert plan["n_params"] == pytest.approx(n_params, rel=1e-9)
    assert plan["n_tokens"] == pytest.approx(20 * n_params, rel=1e-9)
    assert plan["tokens_per_param"] == pytest.approx(20, rel=1e-12)
    assert plan["compute_flops"] == 1e24
    assert plan["loss_nats"] == pytest.approx(EPOCH.loss(n_params, 20 * n_params), rel=1e-12)
    assert (plan["method"], plan["law"], plan["tokens_per_param_rule"]) == ("tokens-per-param", "epoch-2024", 20)
    assert plan["schema_version"] == 1


def test_law_method_matches_the_closed_form(cli: Cli) -> None:
    # Hoffmann et al. 2022 eq. 4 with eq. 10's constants, written out here independently of laws.py.
    plan = cli.json("budget", "--flops", "5.76e23", "--method", "law", "--law", "chinchilla-2022")
    E, A, B, alpha, beta = 1.69, 406.4, 410.7, 0.34, 0.28
    g = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    n_params = g * (5.76e23 / 6) ** (beta / (alpha + beta))
    n_tokens = (5.76e23 / 6) ** (alpha / (alpha + beta)) / g
    assert plan["n_params"] == pytest.approx(n_params, rel=1e-9)
    assert plan["n_tokens"] == pytest.approx(n_tokens, rel=1e-9)
    assert plan["loss_nats"] == pytest.approx(E + A / n_params**alpha + B / n_tokens**beta, rel=1e-9)
    assert (plan["method"], plan["law"]) == ("law", "chinchilla-2022")


def test_kaplan_allocation_through_the_cli_labels_non_embedding_parameters(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e21", "--method", "law", "--law", "kaplan-2020", "--format", "json")
    assert result.exit_code == 0
    import json

    plan = json.loads(result.stdout)
    assert plan["n_params"] == pytest.approx(4.68e9, rel=5e-3)  # Hoffmann et al. 2022, appendix D.4
    assert plan["n_params_kind"] == "non-embedding"
    assert "WebText2" in plan["loss_dataset"]
    assert "non-embedding" in result.stderr


H100_EFFECTIVE_FLOPS_PER_HOUR = 989e12 * 0.40 * 3600


@pytest.mark.parametrize(
    ("args", "compute_flops"),
    [
        (["--flops", "1e24"], 1e24),
        (["--dollars", "$2M", "--price-per-gpu-hour", "2.5"], 2e6 / 2.5 * H100_EFFECTIVE_FLOPS_PER_HOUR),
        (["--dollars", "2e6", "--price-per-gpu-hour", "2.5"], 2e6 / 2.5 * H100_EFFECTIVE_FLOPS_PER_HOUR),
        (["--gpu-hours", "5e5"], 5e5 * H100_EFFECTIVE_FLOPS_PER_HOUR),
        (["--days", "30", "--gpus", "1024"], 30 * 24 * 1024 * H100_EFFECTIVE_FLOPS_PER_HOUR),
    ],
)
def test_every_budget_kind_converts_to_flops_and_reports_hardware(
    cli: Cli, args: list[str], compute_flops: float
) -> None:
    plan = cli.json("budget", *args, "--gpu", "H100-SXM")
    assert plan["compute_flops"] == pytest.approx(compute_flops, rel=1e-12)
    assert plan["gpu_hours"] == pytest.approx(compute_flops / H100_EFFECTIVE_FLOPS_PER_HOUR, rel=1e-12)
    assert (plan["gpu"], plan["mfu"]) == ("H100-SXM", 0.40)
    assert 6 * plan["n_params"] * plan["n_tokens"] == pytest.approx(compute_flops, rel=1e-9)


def test_a_flop_budget_with_full_hardware_reports_hours_days_and_cost(cli: Cli) -> None:
    plan = cli.json(
        "budget",
        "--flops",
        "1e24",
        "--gpu",
        "A100-SXM",
        "--mfu",
        "0.5",
        "--gpus",
        "2048",
        "--price-per-gpu-hour",
        "1.8",
    )
    gpu_hours = 1e24 / (312e12 * 0.5 * 3600)
    assert plan["gpu_hours"] == pytest.approx(gpu_hours, rel=1e-12)
    assert plan["wall_clock_days"] == pytest.approx(gpu_hours / 2048 / 24, rel=1e-12)
    assert plan["cost_usd"] == pytest.approx(gpu_hours * 1.8, rel=1e-12)
    assert plan["gpus"] == 2048 and plan["price_usd_per_gpu_hour"] == 1.8


def test_inverse_params_gives_the_compute_that_makes_the_model_optimal(cli: Cli) -> None:
    plan = cli.json("budget", "--params", "70B")
    # The given size comes back exactly; the rule's D = 20·N and C = 6·N·D follow from it (Chinchilla: 70B, 1.4T).
    assert plan["n_params"] == 70e9 and plan["n_tokens"] == 1.4e12
    assert plan["compute_flops"] == pytest.approx(6 * 70e9 * 1.4e12, rel=1e-15)
    assert plan["given"] == "params" and plan["given_value"] == 70e9


def test_inverse_tokens_gives_the_optimal_model_and_compute(cli: Cli) -> None:
    plan = cli.json("budget", "--tokens", "15T", "--method", "law")
    n_params, _n_tokens = EPOCH.optimum(plan["compute_flops"])
    assert plan["n_tokens"] == 15e12  # exactly as given, not round-tripped through the solver
    assert plan["n_params"] == pytest.approx(n_params, rel=1e-9)
    assert plan["compute_flops"] == pytest.approx(6 * plan["n_params"] * 15e12, rel=1e-15)


@pytest.mark.parametrize("method", ["tokens-per-param", "law"])
@pytest.mark.parametrize(("flag", "text", "field"), [("--params", "70B", "n_params"), ("--params", "6.7B", "n_params"),
                                                     ("--tokens", "15T", "n_tokens"), ("--tokens", "1.4T", "n_tokens"),
                                                     ("--loss", "2.1", "loss_nats")])  # fmt: skip
def test_a_given_target_comes_back_exactly(cli: Cli, method: str, flag: str, text: str, field: str) -> None:
    expected = float(text.replace("B", "e9").replace("T", "e12"))  # the decimal as typed
    plan = cli.json("budget", flag, text, "--method", method)
    assert plan[field] == expected and plan["given_value"] == expected


def test_inverse_loss_gives_the_least_compute_that_reaches_it(cli: Cli) -> None:
    plan = cli.json("budget", "--loss", "2.0", "--method", "law")
    assert plan["loss_nats"] == pytest.approx(2.0, rel=1e-9)
    # Any other split of that compute predicts a higher loss.
    for factor in (0.5, 2.0):
        n_params = plan["n_params"] * factor
        assert EPOCH.loss(n_params, plan["compute_flops"] / 6 / n_params) > 2.0
    rule = cli.json("budget", "--loss", "2.0")
    assert rule["loss_nats"] == pytest.approx(2.0, rel=1e-9)
    assert rule["tokens_per_param"] == pytest.approx(20, rel=1e-9)


@pytest.mark.slow
def test_compare_laws_lists_the_rule_and_every_preset(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24", "--compare-laws")
    rows = {(row["method"], row["law"]): row for row in plan["compare_laws"]}
    assert set(rows) == {
        ("tokens-per-param", "epoch-2024"),
        ("law", "epoch-2024"),
        ("law", "chinchilla-2022"),
        ("law", "chinchilla-2022-unrounded"),
        ("law", "kaplan-2020"),
        ("law", "datablations-2023"),
        ("law", "krajewski-2024-moe"),
        ("law", "krajewski-2024-dense"),
        ("llama3-2024", "epoch-2024"),  # a published frontier allocates; the plan's law predicts
        ("deepseek-llm-2024", "epoch-2024"),
    }
    for (method, law), row in rows.items():
        assert row["compute_flops"] == 1e24 and row["role"] == "compare"
        if method == "law":
            assert row["n_params"] == pytest.approx(PRESETS[law].optimum(1e24)[0], rel=1e-12)
    assert rows[("law", "chinchilla-2022")]["tokens_per_param"] > 60  # the Approach-3 trap, in plain sight


def test_compare_laws_includes_a_user_law_file(cli: Cli) -> None:
    law_file = str(CONFIGS / "laws" / "chinchilla-full-precision.yaml")
    plan = cli.json("budget", "--flops", "1e22", "--law", law_file, "--compare-laws")
    assert plan["law"] == "chinchilla-2022-tex"
    assert ("law", "chinchilla-2022-tex") in {(row["method"], row["law"]) for row in plan["compare_laws"]}


def test_csv_has_the_same_fields_as_json(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "64")
    rows = cli.csv("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "64")
    assert len(rows) == 1
    assert list(rows[0]) == list(plan)
    for key, value in plan.items():
        if isinstance(value, float):
            assert float(rows[0][key]) == value
        elif value is None:
            assert rows[0][key] == ""
    compared = cli.csv("budget", "--flops", "1e24", "--compare-laws")
    assert [row["role"] for row in compared] == ["plan"] + ["compare"] * 10
    # every row has the mixture's columns, which only the mixture-of-experts law's row fills
    assert [row["law"] for row in compared if row["granularity"]] == ["krajewski-2024-moe"]


def test_table_humanises_and_shows_the_formulas(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = cli.run("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1024", "--price-per-gpu-hour", "2")
    assert result.exit_code == 0
    for text in ("91.3B", "1.83T", "1.00e24", "epoch-2024", "C = 6·N·D", "GPU-hours = C /", "MFU 0.4", "$1.40M"):
        assert text in result.stdout
    assert "\x1b[" not in result.stdout  # no escape codes on a pipe


def test_warns_when_the_rule_and_the_law_disagree_by_more_than_2x(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e24", "--law", "chinchilla-2022", "--format", "json")
    assert result.exit_code == 0
    assert "differs by more than 2x" in result.stderr
    quiet = cli.run("budget", "--flops", "1e24", "--format", "json")
    assert quiet.stderr == ""


@pytest.mark.parametrize("compute", ["1e16", "1e28"])
def test_budgets_outside_the_fitted_range_are_answered_with_a_warning(cli: Cli, compute: str) -> None:
    result = cli.run("budget", "--flops", compute, "--format", "json")
    assert result.exit_code == 0
    assert "extrapolation" in result.stderr
    assert '"extrapolated": true' in result.stdout


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.slow
def test_every_example_config_runs(cli: Cli, config: Path) -> None:
    plan = cli.json("budget", "--config", str(config))
    assert 6 * plan["n_params"] * plan["n_tokens"] == pytest.approx(plan["compute_flops"], rel=1e-9)
    assert cli.run("budget", "--config", str(config)).exit_code == 0


def test_example_configs_mean_what_their_comments_say(cli: Cli) -> None:
    dollars = cli.json("budget", "-c", str(CONFIGS / "h100-dollars.yaml"))
    assert dollars["cost_usd"] == pytest.approx(2e6, rel=1e-12)
    assert dollars["gpus"] == 512
    cluster = cli.json("budget", "-c", str(CONFIGS / "h100-cluster-30d.yaml"))
    assert cluster["wall_clock_days"] == pytest.approx(30, rel=1e-12)
    assert cluster["compute_flops"] == pytest.approx(30 * 24 * 1024 * 989e12 * 0.38 * 3600, rel=1e-12)
    assert cluster["method"] == "law"


def test_flags_override_the_config(cli: Cli) -> None:
    config = str(CONFIGS / "h100-cluster-30d.yaml")
    assert cli.json("budget", "-c", config, "--mfu", "0.5")["mfu"] == 0.5
    replaced = cli.json("budget", "-c", config, "--flops", "1e23")
    assert (replaced["given"], replaced["compute_flops"]) == ("flops", 1e23)
    assert replaced["gpu"] == "H100-SXM"  # the rest of the config still applies


def test_config_from_stdin_accepts_yaml_1_1_exponents_and_human_units(cli: Cli) -> None:
    for text in ("1e24", "1.0e+24", "1e12T", "'1e24'"):
        plan = cli.json("budget", "--config", "-", input=f"budget:\n  flops: {text}\n")
        assert plan["compute_flops"] == pytest.approx(1e24, rel=1e-12)
    plan = cli.json("budget", "-c", "-", input="target:\n  params: 70B\nallocation:\n  tokens_per_param: 20\n")
    assert plan["compute_flops"] == pytest.approx(5.88e23, rel=1e-9)


def test_law_file_relative_to_its_config(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "law.yaml").write_text("E: 1.8\nA: 480\nB: 2000\nalpha: 0.35\nbeta: 0.36\nname: mine\n")
    (tmp_path / "plan.yaml").write_text("budget: {flops: 1e22}\nallocation: {method: law, law: law.yaml}\n")
    plan = cli.json("budget", "-c", str(tmp_path / "plan.yaml"))
    assert plan["law"] == "mine"


@pytest.mark.slow  # real processes
def test_runs_as_a_module_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scaling_plan", "budget", "--flops", "1e24", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and '"n_params"' in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "scaling_plan", "budget", "--flops", "-1"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and bad.stderr == "scaling-plan: error: --flops: must be positive, got -1\n"


def test_version(cli: Cli) -> None:
    from scaling_plan import __version__

    result = cli.run("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


@pytest.mark.slow  # real processes
@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_a_closed_pipe_ends_quietly_with_141(output_format: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scaling_plan", "budget", "--flops", "1e24", "--compare-laws", "-f", output_format],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes away before the first write
    assert process.wait() == 141
    assert b"Traceback" not in process.stderr.read()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--flops", "$1.5B"), "--flops"),
        (("--params", "$7B"), "--params"),
        (("--gpu-hours", "$5e5", "--gpu", "H100-SXM"), "--gpu-hours"),
        (("--flops", "1e22", "--tokens-per-param", "$20"), "--tokens-per-param"),
    ],
)
def test_a_dollar_sign_outside_money_is_refused_naming_the_flag(cli: Cli, args: tuple[str, ...], flag: str) -> None:
    # '$1.5B' FLOPs once planned 1.5e9 FLOPs: a '$' means the user had money in mind.
    assert f"{flag}: '$' is only for money" in cli.error("budget", *args)


def test_money_flags_take_a_dollar_sign(cli: Cli) -> None:
    plan = cli.json("budget", "--dollars", "$2M", "--gpu", "H100-SXM", "--price-per-gpu-hour", "$2.50")
    assert plan["cost_usd"] == pytest.approx(2e6, rel=1e-12) and plan["price_usd_per_gpu_hour"] == 2.5


@pytest.mark.parametrize(("name", "preset"), [("H100", "H100-SXM"), ("a100", "A100-SXM"), ("h100_pcie", "H100-PCIe")])
def test_gpu_aliases_and_any_case_find_the_preset(cli: Cli, name: str, preset: str) -> None:
    assert cli.json("budget", "--flops", "1e22", "--gpu", name)["gpu"] == preset
    assert cli.json("budget", "-c", "-", input=f"budget:\n  flops: 1e22\nhardware:\n  gpu: {name}\n")["gpu"] == preset


def test_law_presets_in_any_case_from_flags_and_configs(cli: Cli) -> None:
    assert cli.json("budget", "--flops", "1e22", "--law", "EPOCH-2024")["law"] == "epoch-2024"
    config = "budget:\n  flops: 1e22\nallocation:\n  law: Chinchilla-2022\n"
    assert cli.json("budget", "-c", "-", input=config)["law"] == "chinchilla-2022"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (("--gpu", "H10"), "did you mean 'H100'?"),
        (("--gpu", "h200x"), "did you mean 'H200'?"),
        (("--law", "epoch-2025"), "did you mean 'epoch-2024'?"),
        (("--law", "chinchila"), "did you mean 'chinchilla-2022'?"),
    ],
)
def test_an_unknown_name_suggests_the_closest(cli: Cli, args: tuple[str, ...], suggestion: str) -> None:
    line = cli.error("budget", "--flops", "1e22", *args)
    assert args[0] in line and suggestion in line and "choose one of" in line


def test_every_command_is_registered_by_the_module_the_start_imports_for_it() -> None:
    """main() imports only the module of the command asked for: the table that says which must be right."""
    from typer.main import get_command

    from scaling_plan.cli.app import COMMAND_MODULES, app

    registered = get_command(app).commands  # type: ignore[attr-defined]
    assert list(registered) == list(COMMAND_MODULES)  # every command, in --help's order
    for name, module in COMMAND_MODULES.items():
        assert registered[name].callback.__module__ == f"scaling_plan.cli.{module}", name
