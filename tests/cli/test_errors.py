"""Every bad input: exit 2, one line on stderr naming the flag or file:line and field, nothing on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import Cli


@pytest.mark.parametrize("flag", ["--flops", "--dollars", "--gpu-hours", "--days", "--params", "--tokens", "--loss"])
@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "-inf", "1e999"])
def test_zero_negative_nan_and_inf_givens(cli: Cli, flag: str, value: str) -> None:
    line = cli.error("budget", flag, value, "--gpu", "H100-SXM", "--gpus", "8", "--price-per-gpu-hour", "2")
    assert f"error: {flag}: " in line
    assert ("positive" in line) or ("finite" in line)


def test_two_budget_kinds_at_once(cli: Cli) -> None:
    line = cli.error("budget", "--flops", "1e24", "--gpu-hours", "5e5", "--gpu", "H100-SXM")
    assert "give exactly one budget or target" in line and "--flops" in line and "--gpu-hours" in line


def test_a_budget_and_an_inverse_target_at_once(cli: Cli) -> None:
    assert "exactly one" in cli.error("budget", "--flops", "1e24", "--params", "70B")


def test_no_budget_at_all(cli: Cli) -> None:
    assert "no budget given" in cli.error("budget")
    assert "no budget given" in cli.error("budget", "--gpu", "H100-SXM")


def test_unknown_gpu_lists_the_valid_names(cli: Cli) -> None:
    line = cli.error("budget", "--flops", "1e24", "--gpu", "X100")
    assert "--gpu: unknown GPU 'X100'" in line and "H100-SXM" in line and "TPU-v5p" in line


def test_unknown_law_lists_the_valid_names(cli: Cli) -> None:
    line = cli.error("budget", "--flops", "1e24", "--law", "hoffmann")
    assert "--law: unknown law 'hoffmann'" in line and "epoch-2024" in line and "kaplan-2020" in line


def test_missing_law_file(cli: Cli) -> None:
    assert "--law: law file 'missing.yaml' not found" in cli.error("budget", "--flops", "1e24", "--law", "missing.yaml")


@pytest.mark.parametrize("mfu", ["0", "-0.1", "1.5", "nan"])
def test_mfu_outside_zero_one(cli: Cli, mfu: str) -> None:
    assert "error: --mfu: " in cli.error("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--mfu", mfu)


def test_mfu_of_exactly_one_is_allowed(cli: Cli) -> None:
    assert cli.json("budget", "--flops", "1e24", "--gpu", "H100-SXM", "--mfu", "1")["mfu"] == 1.0


def test_dollar_budget_without_a_price(cli: Cli) -> None:
    line = cli.error("budget", "--dollars", "2e6", "--gpu", "H100-SXM")
    assert "--dollars" in line and "--price-per-gpu-hour" in line


def test_hardware_budgets_without_a_gpu(cli: Cli) -> None:
    assert "needs --gpu" in cli.error("budget", "--gpu-hours", "5e5")
    assert "needs --gpu" in cli.error("budget", "--dollars", "2e6", "--price-per-gpu-hour", "2")


def test_days_without_a_gpu_count(cli: Cli) -> None:
    assert "--days" in cli.error("budget", "--days", "30", "--gpu", "H100-SXM")


def test_fractional_gpu_count(cli: Cli) -> None:
    assert "--gpus: must be a whole number" in cli.error(
        "budget", "--flops", "1e24", "--gpu", "H100-SXM", "--gpus", "1.5"
    )


def test_loss_at_or_below_the_irreducible_loss(cli: Cli) -> None:
    line = cli.error("budget", "--loss", "1.8172")
    assert "--loss" in line and "irreducible" in line and "1.8172" in line
    assert "irreducible" in cli.error("budget", "--loss", "1.69", "--law", "chinchilla-2022", "--method", "law")


def test_unknown_option_and_bad_choices_are_one_line(cli: Cli) -> None:
    assert "--flop" in cli.error("budget", "--flop", "1e24")
    assert "--method" in cli.error("budget", "--flops", "1e24", "--method", "magic")
    assert "--format" in cli.error("budget", "--flops", "1e24", "--format", "xml")


def test_text_that_is_not_a_number(cli: Cli) -> None:
    assert "--tokens-per-param: cannot read 'twenty'" in cli.error(
        "budget", "--flops", "1e24", "--tokens-per-param", "twenty"
    )


# --- config files ---------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "plan.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_malformed_yaml_names_file_and_line(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "budget:\n  flops: 1e24\n hardware: [\n")
    line = cli.error("budget", "--config", path)
    assert f"{path}:3" in line and "malformed YAML" in line


def test_unknown_key_suggests_the_closest(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\n  mfuu: 0.4\n")
    line = cli.error("budget", "-c", path)
    assert f"{path}:5" in line and "hardware.mfuu" in line and "did you mean 'mfu'?" in line
    top = write(tmp_path, "budgte:\n  flops: 1e24\n", "top.yaml")
    assert "did you mean 'budget'?" in cli.error("budget", "-c", top)


def test_wrong_types_name_the_field(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "budget:\n  flops: 1e24\nhardware:\n  gpu: [H100]\n")
    line = cli.error("budget", "-c", path)
    assert f"{path}:4" in line and "hardware.gpu" in line
    path = write(tmp_path, "budget:\n  flops: lots\n", "b.yaml")
    assert "budget.flops: cannot read 'lots'" in cli.error("budget", "-c", path)
    path = write(tmp_path, "budget: 1e24\n", "c.yaml")
    assert "budget" in cli.error("budget", "-c", path)
    path = write(tmp_path, "- 1\n- 2\n", "d.yaml")
    assert "expected a mapping" in cli.error("budget", "-c", path)


def test_semantic_errors_in_a_config_name_file_line_and_field(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "budget:\n  flops: 1e24\nhardware:\n  gpu: H100-SXM\n  mfu: 1.5\n")
    assert f"{path}:5: hardware.mfu: must be in [0.001, 1], got 1.5" in cli.error("budget", "-c", path)
    path = write(tmp_path, "budget:\n  flops: 1e24\n  dollars: 5\n", "two.yaml")
    assert "exactly one" in cli.error("budget", "-c", path)
    path = write(tmp_path, "budget:\n  flops: -1e24\n", "neg.yaml")
    assert f"{path}:2: budget.flops: must be positive" in cli.error("budget", "-c", path)


def test_duplicate_keys_are_refused(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "budget:\n  flops: 1e24\n  flops: 1e23\n")
    assert f"{path}:3: duplicate key 'budget.flops'" in cli.error("budget", "-c", path)


def test_missing_unreadable_empty_and_binary_files(cli: Cli, tmp_path: Path) -> None:
    assert f"--config: config file '{tmp_path / 'absent.yaml'}' not found" in cli.error(
        "budget", "-c", str(tmp_path / "absent.yaml")
    )
    assert f"--config: {tmp_path} is a directory, not a config file" in cli.error("budget", "-c", str(tmp_path))
    assert "empty" in cli.error("budget", "-c", write(tmp_path, "", "empty.yaml"))
    assert "not UTF-8" in cli.error("budget", "-c", write(tmp_path, b"budget:\n  flops: \xff\xfe\n", "bin.yaml"))


def test_law_file_with_missing_or_non_positive_parameters(cli: Cli, tmp_path: Path) -> None:
    missing = write(tmp_path, "E: 1.7\nA: 400\nB: 400\nalpha: 0.3\n", "missing.yaml")
    line = cli.error("budget", "--flops", "1e24", "--law", missing)
    assert missing in line and "beta: required field is missing" in line
    negative = write(tmp_path, "E: 1.7\nA: 400\nB: 400\nalpha: -0.3\nbeta: 0.3\n", "negative.yaml")
    assert f"{negative}:4: alpha: must be at least 0.01, got -0.3" in cli.error(
        "budget", "--flops", "1e24", "--law", negative
    )
    zero = write(tmp_path, "E: 0\nA: 400\nB: 400\nalpha: 0.3\nbeta: 0.3\n", "zero.yaml")
    assert f"{zero}:1: E: must be positive" in cli.error("budget", "--flops", "1e24", "--law", zero)


def test_nothing_reaches_stdout_on_error_in_machine_formats(cli: Cli) -> None:
    for fmt in ("json", "csv"):
        result = cli.run("budget", "--flops", "-1", "--format", fmt)
        assert result.exit_code == 2 and result.stdout == ""


def test_law_file_with_a_reversed_fitted_range(cli: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path, "E: 1.7\nA: 400\nB: 400\nalpha: 0.3\nbeta: 0.3\nfitted_range:\n  compute_flops: [1e22, 1e18]\n"
    )
    assert f"{path}:7: fitted_range.compute_flops" in cli.error("budget", "--flops", "1e24", "--law", path)


def test_budgets_too_small_for_one_parameter(cli: Cli) -> None:
    assert "too small" in cli.error("budget", "--flops", "1e-300")
    assert "too small a model to plan" in cli.error("budget", "--params", "0.5")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tokens", "1e70"), "--tokens: must be at most 1e18, got 1e+70"),
        (("--flops", "1e-400"), "--flops: '1e-400' is too small for a number: it rounds to 0"),
    ],
)
def test_a_target_out_of_reach_says_which_way(cli: Cli, args: tuple[str, ...], message: str) -> None:
    """Were: 'no training compute up to 1e60 FLOPs gives tokens = 1' for a target too small, and 'must be positive,
    got 0' for 1e-400."""
    assert message in cli.error("budget", *args)


def test_warnings_speak_in_the_units_of_the_tables(cli: Cli) -> None:
    result = cli.run(
        "budget", "--flops", "1e22", "--unique-tokens", "25B", "--law", "datablations-2023", "--method", "law"
    )
    assert result.exit_code == 0 and "epochs over 25.0B unique tokens" in result.stderr


def test_a_sweep_of_one_budget_is_one_budget(cli: Cli) -> None:
    assert "Sweep of 1 budget, " in cli.run("sweep", "--budgets", "1e22").stdout
