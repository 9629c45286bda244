import json
from pathlib import Path

import pytest

from scaling_plan.policy import RULES

from ..conftest import CONFIGS, Cli

CHINCHILLA, GOPHER = str(CONFIGS / "chinchilla-70b.yaml"), str(CONFIGS / "gopher-280b.yaml")


def test_gopher_fails_min_tokens_per_param_and_chinchilla_passes(cli: Cli) -> None:
    failed = cli.run("check", GOPHER, "--min-tokens-per-param", "15")
    assert failed.exit_code == 1
    line = next(line for line in failed.stdout.splitlines() if "gopher-280b.yaml" in line)
    assert "FAIL" in line and "1.07 tokens/param is below the minimum 15.0 tokens/param" in line
    passed = cli.run("check", CHINCHILLA, "--min-tokens-per-param", "15")
    assert passed.exit_code == 0, passed.stdout
    assert "FAIL" not in passed.stdout and "PASS" in passed.stdout


def test_a_malformed_config_exits_2_naming_it_and_the_rest_are_still_reported(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget:\n  flops: 1e24\nrun:\n  n_params: lots\n  n_tokens: 1T\n")
    result = cli.run("check", GOPHER, str(bad), CHINCHILLA, "--min-tokens-per-param", "15", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"scaling-plan: error: {bad}:4: run.n_params: cannot read 'lots' as a number"
        " (examples: 1e24, 5.76e23, 70B, 1.4T)"  # no '$2M': a size is not money
    ]
    report = json.loads(result.stdout)
    statuses = {(Path(r["config"]).name, r["rule"]): r["status"] for r in report["results"]}
    assert statuses[("gopher-280b.yaml", "min_tokens_per_param")] == "fail"
    assert statuses[("bad.yaml", None)] == "error"
    assert statuses[("chinchilla-70b.yaml", "min_tokens_per_param")] == "pass"
    assert report["summary"] == {"pass": 4, "fail": 1, "error": 1, "skipped": 0}


def check_error(cli: Cli, *args: str) -> str:
    """check with bad input: exit 2 and one error line (the report of what could be checked still goes to stdout)."""
    result = cli.run("check", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaling-plan: error: "), result.stderr
    return lines[0]


def run_config(tmp_path: Path, policy: str) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(
        "budget:\n  flops: 5.76e23\nrun:\n  n_params: 280B\n  n_tokens: 300B\n"
        "hardware:\n  gpu: H100-SXM\n  gpus: 1024\n  price_per_gpu_hour: 2.5\n" + policy
    )
    return str(path)


# The Gopher-like run: 1.07 tokens/param, 3.54e5 GPU-hours at 40% MFU, $885K, 14.4 days on 1,024 GPUs.
@pytest.mark.parametrize(
    ("rule", "passing", "failing"),
    [
        ("max_loss_gap", "0.05", "0.01"),
        ("max_compute_overhead", "150", "50"),
        ("min_tokens_per_param", "1", "15"),
        ("max_tokens_per_param", "2", "1"),
        ("max_cost_usd", "1e6", "5e5"),
        ("max_wall_clock_days", "15", "14"),
    ],
)
def test_each_rule_passes_and_fails_on_its_side_of_the_limit(
    cli: Cli, tmp_path: Path, rule: str, passing: str, failing: str
) -> None:
    flag = "--" + rule.replace("_", "-")
    config = run_config(tmp_path, "")
    ok = cli.json("check", config, flag, passing)
    assert ok["results"][0]["status"] == "pass" and ok["results"][0]["rule"] == rule
    failed = cli.run("check", config, flag, failing, "--format", "json")
    assert failed.exit_code == 1
    result = json.loads(failed.stdout)["results"][0]
    assert result["status"] == "fail" and result["limit"] == float(failing)
    assert result["quantity"] == RULES[rule].quantity
    # The same limit from the config's policy section.
    from_config = cli.run("check", run_config(tmp_path, f"policy:\n  {rule}: {failing}\n"), "--format", "json")
    assert from_config.exit_code == 1
    assert "policy." + rule in json.loads(from_config.stdout)["results"][0]["message"]


def test_flags_override_the_config_policy(cli: Cli, tmp_path: Path) -> None:
    config = run_config(tmp_path, "policy:\n  min_tokens_per_param: 15\n")
    assert cli.run("check", config).exit_code == 1
    assert cli.run("check", config, "--min-tokens-per-param", "1").exit_code == 0


def test_rules_that_need_hardware_say_so(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "bare.yaml"
    config.write_text("run:\n  n_params: 7B\n  n_tokens: 140B\n")
    line = check_error(cli, str(config), "--max-cost-usd", "1e6")
    assert "--max-cost-usd: max_cost_usd needs hardware.gpu and hardware.price_per_gpu_hour" in line


def test_a_config_without_a_policy_is_skipped_or_with_require_policy_bad_input(cli: Cli) -> None:
    result = cli.run("check", CHINCHILLA, str(CONFIGS / "flops-1e24.yaml"), "--format", "json")
    assert result.exit_code == 0, result.stderr  # the policy that exists passes; the config without one is said
    report = json.loads(result.stdout)
    assert report["summary"] == {"pass": 4, "fail": 0, "error": 0, "skipped": 1}
    skipped = [row for row in report["results"] if row["status"] == "skipped"]
    assert [row["config"] for row in skipped] == [str(CONFIGS / "flops-1e24.yaml")]
    assert skipped[0]["message"].startswith("no policy: give limits as flags")
    assert "no policy" in check_error(cli, str(CONFIGS / "flops-1e24.yaml"), "--require-policy")


def test_a_config_s_own_error_comes_before_its_missing_policy(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("budget: {flops: 1e24}\nhardware: {gpu: H900}\n")
    line = check_error(cli, str(bad))
    assert "bad.yaml:2: hardware.gpu: unknown GPU 'H900'" in line and "no policy" not in line


@pytest.mark.slow
def test_a_folder_names_its_own_configs(cli: Cli) -> None:
    rows = json.loads(cli.run("check", str(CONFIGS), "--format", "json").stdout)["results"]
    checked = sorted({Path(row["config"]).name for row in rows})
    assert checked == sorted(path.name for path in CONFIGS.glob("*.yaml"))  # not configs/laws/*.yaml


def test_a_bad_limit_flag_is_reported_once(cli: Cli) -> None:
    line = cli.error("check", CHINCHILLA, GOPHER, "--max-loss-gap", "-1")
    assert "--max-loss-gap: must not be negative" in line


def test_markdown_and_csv(cli: Cli) -> None:
    result = cli.run("check", CHINCHILLA, GOPHER, "--min-tokens-per-param", "15", "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout.startswith("### scaling-plan check: 1 failed, 4 passed\n")
    assert "| Config | Rule | Result | Measured | Limit | Why |" in result.stdout
    assert "**FAIL**" in result.stdout
    rows = cli.run("check", CHINCHILLA, "--format", "csv")
    assert rows.exit_code == 0
    assert rows.stdout.splitlines()[0].startswith("schema_version,config,name,rule,quantity,unit,status,measured,limit")
    assert len(rows.stdout.splitlines()) == 1 + 4  # the Chinchilla config's policy has four rules


def test_a_folder_without_configs_is_refused_as_compare_refuses_it(cli: Cli, tmp_path: Path) -> None:
    """Was `Policy check: 0 failed, 0 passed` and exit 0: an empty folder (a typo, a wrong checkout) passed CI."""
    empty = tmp_path / "configs"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a config\n")
    assert cli.error("check", str(empty), "--min-tokens-per-param", "15") == (
        f"scaling-plan: error: CONFIG: give at least one config to check ({empty} holds no .yaml or .yml config)"
    )
    assert cli.error("check", str(empty), "-f", "json").endswith("holds no .yaml or .yml config)")
    assert cli.error("compare", str(empty)) == (
        "scaling-plan: error: CONFIG: give at least two configs to compare, or one with --base-ref"
        f" ({empty} holds no .yaml or .yml config)"
    )
    beside = cli.run("check", CHINCHILLA, str(empty), "--min-tokens-per-param", "15", "-f", "json")
    assert beside.exit_code == 0, beside.stderr  # with a config to check, the empty folder adds nothing to refuse


def test_the_api_refuses_a_folder_without_configs_as_the_cli_does(tmp_path: Path) -> None:
    import scaling_plan as sp

    with pytest.raises(sp.ScalingPlanError, match=r"^configs: give at least two configs .* holds no \.yaml or \.yml"):
        sp.compare([tmp_path])
