"""A predicted step at the command line and in the API: its terms sum to it, it reaches JSON, CSV and the table,
Table 5's 22B is predicted as the domain predicts it, and a GPU without bandwidths predicts none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import Cli
from ..domain.test_steptime import KORTHIKANTI_POINTS

TERMS = (
    "step_compute_seconds", "step_memory_bound_seconds", "step_communication_seconds", "step_bubble_seconds",
)  # fmt: skip
PREDICTED = ("step_seconds_predicted", "mfu_predicted_pct", "hfu_predicted_pct", "matmul_efficiency_pct", *TERMS)


def test_the_predicted_step_is_the_sum_of_its_terms_in_json_csv_the_table_and_the_api(cli: Cli) -> None:
    import scaling_plan as sp

    args = ("budget", "--flops", "1e23", "--blueprint", "--gpu", "A100-SXM", "--gpus", "256")
    record = cli.json(*args)
    assert record["step_seconds_predicted"] == pytest.approx(sum(record[term] for term in TERMS), rel=1e-12)
    assert 0 < record["mfu_predicted_pct"] <= record["hfu_predicted_pct"] < 100
    assert 0 <= record["step_recompute_seconds"] <= record["step_compute_seconds"]
    # The model FLOPs of a step over its predicted time, the layout's GPUs and the peak.
    flops = record["step_seconds_predicted"] * record["mfu_predicted_pct"] / 100 * 256 * 312e12
    assert flops / (record["batch_sequences"] * record["seq_len"]) == pytest.approx(6 * record["n_params"], rel=0.1)
    row = cli.csv(*args)[0]
    assert float(row["mfu_predicted_pct"]) == pytest.approx(record["mfu_predicted_pct"], rel=1e-9)
    table = cli.run(*args).stdout
    assert "MFU, predicted" in table and "Step: pipeline bubble" in table and "Predicted step:" in table
    made = sp.plan(flops=1e23, blueprint=True, gpu="A100-SXM", gpus=256).to_dict()
    for key in PREDICTED:
        assert made[key] == record[key], key


def test_table_5s_22b_is_predicted_from_its_configuration(cli: Cli) -> None:
    record = cli.json(
        "shape", "--layers", "48", "--d-model", "6144", "--heads", "64", "--vocab-size", "51200", "--seq-len", "2048",
        "--ffn", "gelu", "--style", "gpt", "--gpu", "A100-SXM", "--gpus", "8", "--tp", "8", "--pp", "1",
        "--recompute", "selective", "--global-batch", "4", "--micro-batch", "4", "--no-flash-attention", "--tokens",
        "1T",
    )  # fmt: skip
    assert (record["tp"], record["dp"], record["micro_batch_sequences"], record["batch_sequences"]) == (8, 1, 4, 4)
    assert record["mfu_predicted_pct"] == pytest.approx(41.5, abs=KORTHIKANTI_POINTS)  # Korthikanti et al. 2022
    assert record["hfu_predicted_pct"] > record["mfu_predicted_pct"]  # selective recomputation


def test_a_gpu_given_by_its_peak_alone_predicts_no_step_across_gpus(cli: Cli) -> None:
    record = cli.json("shape", "--params", "70B", "--peak-flops", "500e12", "--gpu-memory-gib", "80", "--gpus", "16")
    assert record["tp"] * record["pp"] > 1
    assert all(record[key] is None for key in PREDICTED)
    table = cli.run("shape", "--params", "70B", "--peak-flops", "500e12", "--gpu-memory-gib", "80", "--gpus", "16")
    assert "Predicted step:" not in table.stdout
    assert "No predicted step: " in table.stdout and "gives no memory or NVLink or network bandwidth" in table.stdout


def test_a_hardware_files_bandwidths_give_a_step_across_nodes(cli: Cli, tmp_path: Path) -> None:
    base = (
        "kind: hardware\nname: Accelerator-X\npeak_flops_per_second: 1.0e15\nmemory_gib: 80\n"
        "memory_bandwidth_gb_per_second: 3000\nlink_bandwidth_gb_per_second: 900\n"
    )
    args = ("shape", "--params", "70B", "--gpus", "64", "--tp", "8", "--pp", "2")
    without = tmp_path / "without.yaml"
    without.write_text(base)
    assert cli.json(*args, "--gpu", str(without))["step_seconds_predicted"] is None  # dp 4 crosses nodes
    with_network = tmp_path / "with.yaml"
    with_network.write_text(base + "network_bandwidth_gb_per_second: 50\n")
    record = cli.json(*args, "--gpu", str(with_network))
    assert record["dp"] == 4 and record["step_communication_seconds"] > 0
    assert 0 < record["mfu_predicted_pct"] < 100
    # The predicted MFU as --mfu takes it (the full count) gives the predicted step's GPU-hours.
    again = cli.json(*args, "--gpu", str(with_network), "--mfu", str(record["mfu_predicted_full_count"]))
    assert again["gpu_hours_full"] == pytest.approx(record["gpu_hours_predicted"], rel=1e-9)
    # YAML's true is no number of GB/s.
    flagged = tmp_path / "flagged.yaml"
    flagged.write_text(base + "network_bandwidth_gb_per_second: true\n")
    line = cli.error(*args, "--gpu", str(flagged))
    assert line.endswith(":7: network_bandwidth_gb_per_second: must be a number, not true")


def test_the_run_at_the_predicted_step_and_a_budget_it_would_break(cli: Cli) -> None:
    import scaling_plan as sp

    args = ("budget", "--days", "30", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--price-per-gpu-hour", "2",
            "--mfu", "0.40")  # fmt: skip
    record = cli.json(*args)
    hours = record["train_steps"] * record["step_seconds_predicted"] * 64 / 3600
    assert record["gpu_hours_predicted"] == pytest.approx(hours, rel=1e-12)
    assert record["wall_clock_days_predicted"] == pytest.approx(hours / 64 / 24, rel=1e-12)
    assert record["cost_usd_predicted"] == pytest.approx(2 * hours, rel=1e-12)
    # At --mfu 0.40 the plan fills the 30 days; the predicted step, faster here, takes fewer, and nothing is said.
    assert record["wall_clock_days_full"] == pytest.approx(30, rel=0.01)
    assert record["wall_clock_days_predicted"] < record["wall_clock_days_full"]
    assert "predicted step" not in cli.run(*args).stderr
    # Assumed faster than predicted, the plan's run would take longer than the budget: said, in both doors.
    result = cli.run(*args[:-2], "--mfu", "0.8", "--format", "json")
    over = [line for line in result.stderr.splitlines() if "at the predicted step" in line]
    assert len(over) == 1 and "more than the 30.0 days budget the plan fills at --mfu 0.8" in over[0]
    assert "it exceeds the budget; the predicted step amounts to --mfu 0." in over[0]
    made = sp.plan(days=30, gpu="H100-SXM", gpus=64, blueprint=True, price_per_gpu_hour=2, mfu=0.8)
    assert over[0].removeprefix("scaling-plan: warning: ") in made.warnings


GPT_175B = (
    "shape", "--layers", "96", "--d-model", "12288", "--heads", "96", "--vocab-size", "51200", "--seq-len", "2048",
    "--ffn", "gelu", "--style", "gpt", "--gpu", "A100-SXM", "--gpus", "64", "--tp", "8", "--pp", "8", "--recompute",
    "selective", "--global-batch", "64", "--no-flash-attention", "--tokens", "1T",
)  # fmt: skip


def test_interleaved_stages_shrink_the_bubble_and_predict_table_5s_175b(cli: Cli) -> None:
    import scaling_plan as sp

    plain, interleaved = cli.json(*GPT_175B), cli.json(*GPT_175B, "--interleave", "3")
    assert (plain["interleaved_stages"], interleaved["interleaved_stages"]) == (1, 3)
    assert plain["pipeline_bubble_pct"] == pytest.approx(100 * 7 / 64, rel=1e-12)  # (pp - 1)/m
    assert interleaved["pipeline_bubble_pct"] == pytest.approx(100 * 7 / (64 * 3), rel=1e-12)  # (pp - 1)/(m·v)
    # Korthikanti et al. 2022 ran it with 3 stages per GPU: 51.4% MFU in 13.75 s.
    assert interleaved["mfu_predicted_pct"] == pytest.approx(51.4, abs=KORTHIKANTI_POINTS)
    assert interleaved["step_seconds_predicted"] < plain["step_seconds_predicted"]
    # ... at (1 + (pp - 1)/(pp·v)) times the activations on the first stage (their sec. 4.2.3).
    ratio = interleaved["activations_gib_per_gpu"] / plain["activations_gib_per_gpu"]
    assert ratio == pytest.approx(1 + 7 / 24, rel=0.02)
    made = sp.plan(flops=1e24, blueprint=True, n_layers=96, d_model=12288, n_heads=96, gpu="A100-SXM", gpus=64, tp=8,
                   pp=8, interleave=3).to_dict()  # fmt: skip
    assert (
        made["interleaved_stages"] == 3 and made["pipeline_bubble_pct"] < 100 * 7 / made["gradient_accumulation_steps"]
    )


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (("--pp", "1", "--interleave", "2"), "--interleave: 2 interleaved stages per GPU need pipeline stages"),
        (("--interleave", "5"), "--interleave: 5 interleaved stages per GPU: pp 8 x 5 = 40 must divide the 96 layers"),
        (("--pp", "", "--interleave", "7"), "--interleave: 7 interleaved stages per GPU: no pipeline of 2 to"),
        (("--interleave", "0"), "--interleave"),
        (("--interleave", "1.5"), "--interleave"),
    ],
)
def test_interleaved_stages_the_layers_cannot_take_are_refused(cli: Cli, extra: tuple[str, ...], says: str) -> None:
    args = list(GPT_175B)
    if "--pp" in extra:  # the test's own pipeline, or none (searched)
        at = args.index("--pp")
        del args[at : at + 2]
        extra = extra[2:] if extra[1] == "" else extra
    assert says in cli.error(*args, *extra)


def test_mfu_predict_plans_the_run_at_its_predicted_step(cli: Cli) -> None:
    import scaling_plan as sp

    args = ("budget", "--flops", "1e23", "--gpu", "A100-SXM", "--gpus", "256", "--blueprint", "--mfu", "predict")
    record = cli.json(*args)
    assert record["mfu_from"] == "predicted" and record["mfu"] == pytest.approx(record["mfu_predicted_full_count"])
    assert record["gpu_hours"] == pytest.approx(record["gpu_hours_predicted"], rel=1e-9)
    assert record["wall_clock_days"] == pytest.approx(record["wall_clock_days_predicted"], rel=1e-9)
    assert cli.json(*args[:-2]) == record  # a blueprint's default: the predicted step, as asked for by name
    assert cli.json(*args[:-2], "--mfu", "0.4")["mfu_from"] == "assumed"
    assert "MFU 0.627, the pace its predicted step sized the run at" in cli.run(*args).stdout
    made = sp.plan(flops=1e23, gpu="A100-SXM", gpus=256, blueprint=True, mfu="predict").to_dict()
    assert made["mfu"] == record["mfu"] and made["mfu_from"] == "predicted"
    # A budget of days is filled at the MFU its own model's step predicts, and the run at that step keeps to it.
    days = cli.run("budget", "--days", "30", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--mfu", "predict",
                   "--format", "json")  # fmt: skip
    filled = json.loads(days.stdout)
    assert filled["wall_clock_days_predicted"] == pytest.approx(30, rel=0.02)  # as near as the shapes step
    assert filled["wall_clock_days_predicted"] <= 30 and "predicted step" not in days.stderr
    shaped = cli.json("shape", "--params", "7B", "--gpu", "H100-SXM", "--gpus", "64", "--mfu", "predict")
    assert shaped["gpu_hours_full"] == pytest.approx(shaped["gpu_hours_predicted"], rel=1e-9)
    assert shaped["mfu_from"] == "predicted" and shaped["mfu"] == pytest.approx(shaped["mfu_predicted_full_count"])


def test_mfu_predict_in_a_config_file_matches_the_printed_schema(cli: Cli, tmp_path: Path) -> None:
    import jsonschema
    import yaml

    config = tmp_path / "plan.yaml"
    config.write_text("budget:\n  flops: 1e23\nhardware:\n  gpu: A100-SXM\n  gpus: 256\n  mfu: Predict\n")
    jsonschema.validate(yaml.safe_load(config.read_text()), json.loads(cli.run("schema").stdout))
    assert cli.json("budget", "-c", str(config), "--blueprint")["mfu_from"] == "predicted"
    # Without a blueprint, the config's line is named, as a flag would be.
    line = cli.error("budget", "-c", str(config))
    assert f"{config}:6: hardware.mfu: predict needs a blueprint's predicted step on the GPU: no blueprint" in line
    with_section = tmp_path / "with.yaml"
    with_section.write_text(config.read_text() + "blueprint:\n  tp: 2\n")
    assert cli.json("budget", "-c", str(with_section))["mfu_from"] == "predicted"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("budget", "--flops", "1e23", "--gpu", "A100-SXM", "--mfu", "predict"),
         "--mfu: predict needs a blueprint's predicted step on the GPU: no blueprint (add --blueprint, or"),
        (("budget", "--flops", "1e23", "--gpu", "MI300X", "--gpus", "64", "--blueprint", "--mfu", "predict"),
         "--mfu: predict needs a blueprint's predicted step on the GPU: MI300X gives no network bandwidth"),
        (("sweep", "--from", "1e21", "--to", "1e23", "--gpu", "A100-SXM", "--blueprint", "--mfu", "predict"),
         "--mfu: a sweep takes a number: predict is one plan's"),
        (("serve", "--params", "7B", "--gpu", "H100-SXM", "--mfu", "predict"),
         "--mfu: serve takes a number: predict is a training step's MFU"),
        (("budget", "--flops", "1e23", "--gpu", "A100-SXM", "--mfu", "guess"), "as a number"),
    ],
)  # fmt: skip
def test_mfu_predict_where_there_is_no_step_to_predict_is_one_line(cli: Cli, args: tuple[str, ...], says: str) -> None:
    assert says in cli.error(*args)


def test_mfu_predict_without_a_single_pace_keeps_the_run_that_fits_and_says_so(cli: Cli) -> None:
    """$10M on 512 H100s: at its own predicted pace the budget buys a larger model that takes a slower layout, whose
    step predicts a pace that buys a model back on the faster one: the plan keeps the run that fits its own
    predicted step, and says what share of the budget that step uses."""
    import scaling_plan as sp

    args = ("budget", "--dollars", "1e7", "--gpu", "H100-SXM", "--gpus", "512", "--price-per-gpu-hour", "2.5",
            "--blueprint", "--mfu", "predict")  # fmt: skip
    result = cli.run(*args, "--format", "json")
    record = json.loads(result.stdout)
    assert record["cost_usd_predicted"] <= 1e7 and record["mfu"] < record["mfu_predicted_full_count"]
    said = [line for line in result.stderr.splitlines() if "found no single pace" in line]
    assert len(said) == 1 and "of the budget" in said[0] and "exceeds" not in result.stderr
    made = sp.plan(dollars=1e7, gpu="H100-SXM", gpus=512, price_per_gpu_hour=2.5, blueprint=True, mfu="predict")
    assert said[0].removeprefix("scaling-plan: warning: ") in made.warnings
    # A budget of GPU-hours is kept to at the predicted step, never exceeded by the pace's last digits.
    hours = cli.run(
        "budget", "--gpu-hours", "1e5", "--gpu", "H100-SXM", "--blueprint", "--mfu", "predict", "-f", "json"
    )
    assert json.loads(hours.stdout)["gpu_hours_predicted"] <= 1e5 and "exceeds the budget" not in hours.stderr


def test_interleaved_stages_no_pipeline_on_the_gpus_can_take_are_one_line(cli: Cli) -> None:
    """30 layers take 3, 5 or 15 stages of 2 per GPU; 8 GPUs at tp 8 leave room for no pipeline."""
    line = cli.error("shape", "--params", "7B", "--gpu", "H100-SXM", "--gpus", "8", "--interleave", "2")
    assert "--interleave: 2 interleaved stages per GPU need a pipeline" in line
    assert "(3, 5, 15 stages), and none of those lays the model out on 8 GPUs" in line


def test_a_blueprint_predicts_its_mfu_by_default_and_keeps_040_where_no_step_is_predicted(cli: Cli) -> None:
    """With a blueprint and no --mfu, the plan (and shape) is timed at its predicted step; where the GPU gives no
    bandwidth the layout needs (MI300X across nodes), at 0.40, and the note says why; a number keeps its meaning."""
    import scaling_plan as sp

    predicted = cli.json("budget", "--flops", "1e23", "--gpu", "H100-SXM", "--gpus", "256", "--blueprint")
    assert predicted["mfu_from"] == "predicted"
    assert predicted["mfu"] == pytest.approx(predicted["mfu_predicted_full_count"])
    assert predicted["gpu_hours"] == pytest.approx(predicted["gpu_hours_predicted"], rel=1e-9)
    shaped = cli.json("shape", "--params", "7B", "--gpu", "H100-SXM", "--gpus", "64")
    assert shaped["mfu_from"] == "predicted" and shaped["mfu"] == pytest.approx(shaped["mfu_predicted_full_count"])
    args = ("budget", "--flops", "1e23", "--gpu", "MI300X", "--gpus", "64", "--blueprint")
    fallback = cli.json(*args)
    assert (fallback["mfu_from"], fallback["mfu"], fallback["mfu_predicted_pct"]) == ("assumed", 0.4, None)
    assert "No predicted step: MI300X gives no network bandwidth" in " ".join(cli.run(*args).stdout.split())
    assert sp.plan(flops=1e23, gpu="MI300X", gpus=64, blueprint=True).to_dict() == fallback
    given = cli.json("budget", "--flops", "1e23", "--gpu", "H100-SXM", "--gpus", "256", "--blueprint", "--mfu", "0.4")
    assert (given["mfu_from"], given["mfu"]) == ("assumed", 0.4)


def test_calibrate_times_the_plan_at_its_measured_step_where_the_model_does_not_hang_on_it(cli: Cli) -> None:
    """--calibrate: the plan's GPU-hours, days and cost are the measured step's (mfu_from: measured), with the
    measured step over the predicted one said; under a budget of days, an explicit shape is filled at that step. It
    needs the measured step, takes no --mfu beside it, and refuses a budget of time that sizes the model by the pace.
    The API and a config give the same."""
    import scaling_plan as sp

    args = ("budget", "--flops", "1e22", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--step-seconds", "5",
            "--global-batch", "512")  # fmt: skip
    calibrated = cli.json(*args, "--calibrate")
    assert calibrated["mfu_from"] == "measured"
    assert calibrated["gpu_hours"] == pytest.approx(calibrated["gpu_hours_measured"], rel=1e-9)
    assert calibrated["wall_clock_days"] == pytest.approx(calibrated["wall_clock_days_measured"], rel=1e-9)
    ratio = 5 / calibrated["step_seconds_predicted"]
    assert calibrated["step_measured_over_predicted"] == pytest.approx(ratio, rel=1e-12)
    assert cli.json(*args)["mfu_from"] == "predicted"  # without it, the predicted step times the plan
    made = sp.plan(flops=1e22, gpu="H100-SXM", gpus=64, blueprint=True, step_seconds=5, global_batch=512,
                   calibrate=True)  # fmt: skip
    assert made.to_dict() == calibrated
    shaped = ("budget", "--days", "30", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--layers", "32",
              "--d-model", "4096", "--step-seconds", "5", "--global-batch", "512", "--calibrate")  # fmt: skip
    filled = cli.json(*shaped)
    assert filled["wall_clock_days_measured"] == pytest.approx(30, rel=0.01) and filled["mfu_from"] == "measured"
    assert "at the measured step" not in cli.run(*shaped).stderr  # it keeps to the budget
    for extra, says in [
        ((), "--calibrate: times the plan at a measured step: give --step-seconds"),
        (("--step-seconds", "5", "--global-batch", "512", "--mfu", "0.4"), "give --mfu or this, not both"),
    ]:
        assert says in cli.error("budget", "--flops", "1e22", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint",
                                 "--calibrate", *extra)  # fmt: skip
    said = cli.error("budget", "--days", "30", "--gpu", "H100-SXM", "--gpus", "64", "--blueprint", "--step-seconds",
                     "5", "--global-batch", "512", "--calibrate")  # fmt: skip
    assert "--calibrate: a measured step is one model's" in said and "--layers and --d-model" in said
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.plan(flops=1e22, gpu="H100-SXM", gpus=64, blueprint=True, calibrate=True)
    assert error.value.field == "calibrate"
