"""Energy, emissions and goodput: what a run draws from the grid and how restarts stretch it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaling_plan.budget import DEFAULT_PUE, GPUS

from ..conftest import Cli

LLAMA_31 = ("budget", "--flops", "3.8e25", "--gpu", "H100-SXM", "--mfu", "0.346", "--pue", "1.0",
            "--grid-gco2-per-kwh", "414")  # fmt: skip


def test_llama_31_405b_gpu_hours_energy_and_emissions(cli: Cli) -> None:
    """Dubey et al. 2024 (Llama 3) report 3.8e25 FLOPs and 30.84M H100-hours for the 405B model; at the H100 SXM's
    700 W TDP and a PUE of 1.0 that is about 21,600 MWh, and at 414 gCO2e/kWh (Meta's 11,390 tCO2e location-based
    for 39.3M GPU-hours of the Llama 3.1 family at 700 W) about 8,900 tCO2e."""
    plan = cli.json(*LLAMA_31)
    assert plan["gpu_hours"] == pytest.approx(30.84e6, rel=0.002)
    gpu_hours = 3.8e25 / (989e12 * 0.346 * 3600)  # recomputed: the datasheet's peak at the reported MFU
    assert plan["gpu_hours"] == pytest.approx(gpu_hours, rel=1e-12)
    assert plan["energy_mwh"] == pytest.approx(gpu_hours * 700 / 1e6, rel=1e-12)
    assert plan["energy_mwh"] == pytest.approx(21_600, rel=0.005)
    assert plan["emissions_tco2e"] == pytest.approx(plan["energy_mwh"] * 414 / 1000, rel=1e-12)
    assert plan["emissions_tco2e"] == pytest.approx(8_900, rel=0.01)
    assert (plan["gpu_power_watts"], plan["pue"], plan["grid_gco2_per_kwh"]) == (700.0, 1.0, 414.0)
    text = cli.run(*LLAMA_31, env={"COLUMNS": "120"}).stdout
    assert "Energy (MWh)" in text and "Emissions (tCO2e)" in text
    assert "Energy = GPU-hours x 700 W (H100-SXM TDP) x PUE 1 / 1e6 (MWh); emissions = energy x 414 gCO2e/kWh" in text


def test_pue_has_a_stated_default_and_emissions_need_a_grid_intensity(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24", "--gpu", "A100")
    assert plan["pue"] == DEFAULT_PUE == 1.2 and plan["grid_gco2_per_kwh"] is None and plan["emissions_tco2e"] is None
    assert plan["energy_mwh"] == pytest.approx(plan["gpu_hours"] * 400 * 1.2 / 1e6, rel=1e-12)
    assert "(give --grid-gco2-per-kwh)" in cli.run("budget", "--flops", "1e24", "--gpu", "A100").stdout
    assert cli.json("budget", "--flops", "1e24")["energy_mwh"] is None  # no hardware, no energy


def test_a_gpu_without_published_power_says_its_energy_is_not_estimated(cli: Cli) -> None:
    assert GPUS["TPU-v5p"].power_watts is None
    result = cli.run("budget", "--flops", "1e24", "--gpu", "TPU-v5p", "--grid-gco2-per-kwh", "100", "-f", "json")
    assert result.exit_code == 0
    assert "--grid-gco2-per-kwh unused: TPU-v5p has no published power" in result.stderr
    assert '"energy_mwh": null' in result.stdout


def test_goodput_stretches_gpu_hours_days_and_cost_alike(cli: Cli) -> None:
    """GPU-hours are the hours the GPUs are held, restarts included: days x GPUs x 24 and cost / price are the same
    number, with or without goodput; energy counts the training share."""
    hardware = ("--gpu", "H100", "--gpus", "1024", "--price-per-gpu-hour", "2.5")
    full = cli.json("budget", "--flops", "1e24", *hardware)
    stretched = cli.json("budget", "--flops", "1e24", *hardware, "--goodput", "0.9")
    assert stretched["gpu_hours"] == pytest.approx(full["gpu_hours"] / 0.9, rel=1e-12)
    assert stretched["wall_clock_days"] == pytest.approx(full["wall_clock_days"] / 0.9, rel=1e-12)
    assert stretched["cost_usd"] == pytest.approx(full["cost_usd"] / 0.9, rel=1e-12)
    for plan in (full, stretched):
        assert plan["wall_clock_days"] * 1024 * 24 == pytest.approx(plan["gpu_hours"], rel=1e-12)
        assert plan["cost_usd"] == pytest.approx(plan["gpu_hours"] * 2.5, rel=1e-12)
    assert stretched["energy_mwh"] == pytest.approx(full["energy_mwh"], rel=1e-12)  # the training GPU-hours at TDP
    # Budgets in days, dollars and GPU-hours hold the GPUs that long and buy the training that fits: 90% of the time.
    days = cli.json("budget", "--days", "30", *hardware, "--goodput", "0.9")
    assert days["wall_clock_days"] == pytest.approx(30, rel=1e-12)
    assert days["gpu_hours"] == pytest.approx(30 * 24 * 1024, rel=1e-12)
    dollars = cli.json("budget", "--dollars", "$2M", *hardware, "--goodput", "0.9")
    assert dollars["cost_usd"] == pytest.approx(2e6, rel=1e-12)
    assert dollars["gpu_hours"] == pytest.approx(2e6 / 2.5, rel=1e-12)
    hours = cli.json("budget", "--gpu-hours", "5e5", *hardware, "--goodput", "0.9")
    assert hours["gpu_hours"] == pytest.approx(5e5, rel=1e-12)
    assert hours["compute_flops"] == pytest.approx(5e5 * 0.9 * 989e12 * 0.4 * 3600, rel=1e-12)


def test_the_fields_are_in_configs_and_sweeps(cli: Cli, tmp_path: object) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "run.yaml"
    config.write_text(
        "budget:\n  flops: 3.8e25\nhardware:\n  gpu: H100-SXM\n  mfu: 0.346\n  pue: 1.0\n  grid_gco2_per_kwh: 414\n"
        "  goodput: 0.95\n"
    )
    plan = cli.json("budget", "-c", str(config))
    assert plan["energy_mwh"] == pytest.approx(21_600, rel=0.005) and plan["goodput"] == 0.95
    rows = cli.csv("sweep", "--from", "1e22", "--to", "1e24", "--per-decade", "1", "--gpu", "H100", "--pue", "1.1",
                   "--grid-gco2-per-kwh", "400")  # fmt: skip
    for row in rows:
        assert float(row["energy_mwh"]) == pytest.approx(float(row["gpu_hours"]) * 700 * 1.1 / 1e6, rel=1e-9)
        assert float(row["emissions_tco2e"]) == pytest.approx(float(row["energy_mwh"]) * 0.4, rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pue", "0.9"), "--pue: must be at least 1, got 0.9"),
        (("--goodput", "0"), "--goodput: must be in [0.01, 1], got 0"),
        (("--goodput", "1.5"), "--goodput: must be in [0.01, 1], got 1.5"),
        (("--grid-gco2-per-kwh", "-5"), "--grid-gco2-per-kwh: must not be negative, got -5"),
        (("--grid-gco2-per-kwh", "$400"), "--grid-gco2-per-kwh: '$' is only for money"),
    ],
)
def test_bad_energy_flags_are_one_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert message in cli.error("budget", "--flops", "1e24", "--gpu", "H100", *args)


def test_a_bad_energy_field_in_a_config_names_its_line(cli: Cli, tmp_path: object) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "bad.yaml"
    config.write_text("budget:\n  flops: 1e24\nhardware:\n  gpu: H100\n  goodput: 2\n")
    line = cli.error("budget", "-c", str(config))
    assert "bad.yaml:5" in line and "goodput" in line


def test_compare_shows_each_runs_energy_and_its_change(cli: Cli, tmp_path: Path) -> None:
    base, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    base.write_text("budget:\n  flops: 1e24\nhardware:\n  gpu: H100\n  grid_gco2_per_kwh: 400\n")
    other.write_text("budget:\n  flops: 2e24\nhardware:\n  gpu: H100\n  grid_gco2_per_kwh: 400\n")
    first, second = cli.json("compare", str(base), str(other))["configs"]
    assert first["energy_mwh"] == pytest.approx(first["gpu_hours"] * 700 * 1.2 / 1e6, rel=1e-12)
    assert second["delta_energy_mwh"] == pytest.approx(second["energy_mwh"] - first["energy_mwh"], rel=1e-12)
    assert second["delta_emissions_tco2e_pct"] == pytest.approx(100.0, rel=1e-9)  # twice the compute, twice the CO2
    assert "Energy (MWh)" in cli.run("compare", str(base), str(other), env={"COLUMNS": "120"}).stdout


def test_predict_reports_the_runs_energy_and_emissions_as_budget_does(cli: Cli) -> None:
    """Was: predict took --pue and --grid-gco2-per-kwh, exited 0 and said nothing of either."""
    args = ("predict", "--params", "70B", "--tokens", "1.4T", "--gpu", "H100", "--pue", "1.5",
            "--grid-gco2-per-kwh", "400")  # fmt: skip
    run = cli.json(*args)
    watts = GPUS["H100-SXM"].power_watts
    assert (run["pue"], run["grid_gco2_per_kwh"], run["gpu_power_watts"]) == (1.5, 400.0, watts)
    assert run["energy_mwh"] == pytest.approx(run["gpu_hours"] * watts * 1.5 / 1e6, rel=1e-12)
    assert run["emissions_tco2e"] == pytest.approx(run["energy_mwh"] * 400 / 1000, rel=1e-12)
    plan = cli.json("budget", "--flops", str(run["compute_flops"]), *args[5:])  # the same compute, planned
    assert plan["energy_mwh"] == pytest.approx(run["energy_mwh"], rel=1e-12)
    row = cli.csv(*args)[0]
    assert float(row["energy_mwh"]) == pytest.approx(run["energy_mwh"]) and row["emissions_tco2e"]
    text = cli.run(*args).stdout
    assert "Energy (MWh)" in text and "Emissions (tCO2e)" in text and "PUE 1.5" in text
    assert cli.json("predict", "--params", "70B", "--tokens", "1.4T")["energy_mwh"] is None  # no GPU, no energy
