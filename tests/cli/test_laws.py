"""The laws at the command line: presets by name, frontier laws' plans and their warnings."""

import json
from dataclasses import replace

import pytest

from ..conftest import Cli


def test_llama3_s_printed_frontier_and_its_headline_disagree_and_the_plan_says_so(cli: Cli) -> None:
    """Dubey et al. 2024 sec. 3.2.1: D_opt = 0.29·C^0.53 tokens as printed. At their 3.8e25 FLOPs that is about
    10.5T tokens and, with C = 6·N·D, about 605B parameters, not the paper's headline 402B on 16.55T."""
    plan = cli.json("budget", "--flops", "3.8e25", "--method", "llama3-2024")
    d_opt = 0.29 * 3.8e25**0.53
    assert plan["n_tokens"] == pytest.approx(d_opt, rel=1e-12) and d_opt == pytest.approx(10.5e12, rel=0.01)
    assert plan["n_params"] == pytest.approx(3.8e25 / (6 * d_opt), rel=1e-12)
    assert plan["n_params"] == pytest.approx(605e9, rel=0.01)
    assert abs(plan["n_params"] / 402e9 - 1) > 0.4 and abs(plan["n_tokens"] / 16.55e12 - 1) > 0.3  # the mismatch
    text = cli.run("budget", "--flops", "3.8e25", "--method", "llama3-2024", env={"COLUMNS": "300"}).stdout
    assert "402B on 16.55T at 3.8e25 FLOPs is not reproduced by the printed rounding" in " ".join(text.split())
    assert plan["law"] == "epoch-2024" and plan["method"] == "llama3-2024"  # allocated by one, predicted by another


@pytest.mark.slow
def test_deepseek_s_frontier_takes_m_and_d_from_eq_4_and_n_from_the_blueprint(cli: Cli) -> None:
    """Bi et al. 2024 eq. 4 at 1e24: M_opt = 0.1715·C^0.5243 FLOPs per token and D_opt = 5.8316·C^0.4757 tokens,
    with C = M·D; N is the parameter count of the blueprint shape whose M (the blueprint's own count) is M_opt."""
    from scaling_plan.shapes import flops_per_token_for_params

    plan = cli.json("budget", "--flops", "1e24", "--method", "deepseek-llm-2024")
    m_opt, d_opt = 0.1715 * 1e24**0.5243, 5.8316 * 1e24**0.4757
    assert m_opt * d_opt == pytest.approx(1e24, rel=2e-4)  # the exponents sum to 1 and the bases multiply to 1
    assert plan["n_tokens"] == pytest.approx(d_opt, rel=1e-12)
    # Widths step by 128, so the shape found has M within a few percent of M_opt.
    assert flops_per_token_for_params(plan["n_params"]) == pytest.approx(m_opt, rel=0.03)
    assert 6 * plan["n_params"] < m_opt  # M adds the attention FLOPs, 12·L·d·seq, to 6 x the block weights
    target = cli.json("budget", "--params", "70B", "--method", "deepseek-llm-2024")
    assert target["n_params"] == 70e9
    assert "--loss: a loss target along deepseek-llm-2024's frontier is not supported" in cli.error(
        "budget", "--loss", "2.0", "--method", "deepseek-llm-2024"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("budget", "--flops", "1e40", "--method", "deepseek-llm-2024"),
        ("sweep", "--budgets", "1e20,1e40", "--method", "deepseek-llm-2024"),
    ],
)
def test_deepseek_s_frontier_sizes_no_model_past_the_shape_search_s_bound(cli: Cli, args: tuple[str, ...]) -> None:
    """Its N comes from a shape search, bounded as `shape --params` is (1e15 parameters): M_opt = 0.1715·C^0.5243 is
    6e15 FLOPs per token at C = (6e15 / 0.1715)^(1/0.5243), about 3.6e31 FLOPs; past it the budget is refused before
    any search (it ran for minutes)."""
    line = cli.error(*args)
    assert "is past what deepseek-llm-2024 allocates (3.58e31 FLOPs)" in line
    assert line.split(": ")[2] in ("--flops", "--budgets")


def test_compare_laws_leaves_deepseek_out_past_its_bound_and_answers_the_rest(cli: Cli) -> None:
    result = cli.run("budget", "--flops", "1e40", "--compare-laws", "--format", "json")
    assert result.exit_code == 0
    methods = {row["method"] for row in json.loads(result.stdout)["compare_laws"]}
    assert "deepseek-llm-2024" not in methods and "llama3-2024" in methods
    assert "deepseek-llm-2024 / epoch-2024 left out: 1.00e40 FLOPs is past what deepseek-llm-2024 allocates" in (
        result.stderr
    )


@pytest.mark.slow
def test_a_mixture_of_experts_plan_gives_its_granularity_and_total_parameters(cli: Cli) -> None:
    """Krajewski et al. 2024, Table 2: at 1.41e21 FLOPs, 3B active parameters (64 x 3B), 72.9B tokens, G = 16;
    N in their law counts every expert, 43 x the active parameters at E = 64."""
    plan = cli.json("budget", "--flops", "1.41e21", "--law", "krajewski-2024-moe", "--method", "law")
    assert (plan["granularity"], plan["expansion"]) == (16, 64.0)
    assert plan["n_params"] == pytest.approx(3e9, rel=0.01) and plan["n_tokens"] == pytest.approx(72.9e9, rel=0.01)
    assert plan["n_params_total"] == pytest.approx(43 * plan["n_params"])
    table = " ".join(cli.run("budget", "--flops", "1.41e21", "--law", "krajewski-2024-moe", "--method", "law").stdout
                     .split())  # fmt: skip
    assert "Granularity G │ 16" in table and "Parameters, every expert │ 129B" in table
    assert "C = (6·N_act + 14·d_model·E·G·n_blocks)·D training FLOPs (Krajewski et al. 2024, eq. 10" in table
    dense = cli.json("budget", "--flops", "1.41e21", "--law", "krajewski-2024-dense", "--method", "law")
    assert "granularity" not in dense and dense["loss_nats"] > plan["loss_nats"]


def test_compare_laws_puts_the_dense_and_the_mixture_side_by_side(cli: Cli) -> None:
    compared = {row["law"]: row for row in cli.json("budget", "--flops", "1e22", "--compare-laws")["compare_laws"]
                if row["method"] == "law"}  # fmt: skip
    moe, dense = compared["krajewski-2024-moe"], compared["krajewski-2024-dense"]
    assert moe["granularity"] == 32 and dense["granularity"] is None  # a dense row beside it has the column, null
    assert moe["loss_nats"] < dense["loss_nats"]  # the same data and compute: the mixture's lower loss


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--unique-tokens", "1e10"), ("--serve", None), ("--inference-tokens", "1T")],
)
def test_what_a_mixture_of_experts_plan_does_not_model_yet_is_refused(cli: Cli, flag: str, value: str | None) -> None:
    args = ("budget", "--flops", "1e22", "--law", "krajewski-2024-moe", "--method", "law", flag)
    error = cli.error(*args, *((value,) if value else ()))
    assert error.startswith(f"scaling-plan: error: {flag}: krajewski-2024-moe plans a mixture of experts")


@pytest.mark.slow
def test_the_api_plans_a_mixture_of_experts_as_budget_does(cli: Cli) -> None:
    import scaling_plan as sp

    result = sp.plan(flops=1e22, law="krajewski-2024-moe", method="law")
    assert result.to_dict() == cli.json("budget", "--flops", "1e22", "--law", "krajewski-2024-moe", "--method", "law")
    assert result.plan.granularity == 32


@pytest.mark.slow
def test_a_mixtures_inverse_questions_spend_eq_10s_flops_and_say_where_the_optimum_jumps(cli: Cli) -> None:
    """`budget --params N` for a mixture: the compute counts the router (eq. 10), so the plan at that compute has N
    again; where the granularity doubles (8 to 16 near 1.52e8 active parameters) the optimum jumps over some sizes."""
    law = ("--law", "krajewski-2024-moe", "--method", "law")
    inverse = cli.json("budget", "--params", "1e8", *law)
    assert inverse["compute_flops"] > 6 * 1e8 * inverse["n_tokens"]  # the router's FLOPs besides 6·N·D
    forward = cli.json("budget", "--flops", repr(inverse["compute_flops"]), *law)
    assert forward["n_params"] == pytest.approx(1e8, rel=1e-6)
    assert "krajewski-2024-moe's optimum jumps over it where its granularity doubles" in cli.error(
        "budget", "--params", "1.53e8", *law
    )


def test_a_mixtures_blueprint_lays_out_its_experts_with_expert_parallelism(cli: Cli) -> None:
    """The plan's mixture as Krajewski et al. 2024 build it (sec. 3): E·G experts of width d_ff/G, G a token, sized
    to the plan's active parameters; on 1,024 H100s its experts are split over expert-parallel ranks, the memory per
    GPU is under the H100's, and the all-to-all traffic is stated."""
    plan = cli.json(
        "budget", "--flops", "1e24", "--method", "law", "--law", "krajewski-2024-moe", "--experts", "64",
        "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024",
    )  # fmt: skip
    g = plan["granularity"]
    assert (plan["experts"], plan["active_experts"]) == (64 * g, g)
    assert plan["expert_d_ff"] == round(plan["d_ff"] / g)
    assert plan["params_active"] == pytest.approx(plan["n_params"], rel=0.02)
    # the experts hold E = 64 dense FFNs: about 43 x the active parameters at E = 64, as the law counts them
    assert plan["params_non_embedding"] == pytest.approx(plan["n_params_total"], rel=0.03)
    assert plan["ep"] > 1 and plan["experts"] % plan["ep"] == 0 and plan["dp"] % plan["ep"] == 0
    assert plan["memory_gib_per_gpu"] <= plan["gpu_memory_gib"] and plan["all_to_all_gib_per_step"] > 0
    assert plan["tp"] * plan["pp"] * plan["cp"] * plan["dp"] == 1024


@pytest.mark.slow
def test_granularity_is_fixed_by_flag_and_experts_must_be_the_laws_expansion(cli: Cli) -> None:
    from scaling_plan.moe import MoELaw
    from scaling_plan.presets import PRESETS

    law = ("--method", "law", "--law", "krajewski-2024-moe")
    plan = cli.json("budget", "--flops", "1e22", *law, "--granularity", "8")
    fixed = PRESETS["krajewski-2024-moe"]
    assert isinstance(fixed, MoELaw)
    at_8 = replace(fixed, granularity=8)
    assert plan["granularity"] == 8
    assert plan["loss_nats"] == pytest.approx(float(at_8.loss_at(plan["n_params"], plan["n_tokens"], 8)), rel=1e-9)
    assert plan["loss_nats"] > cli.json("budget", "--flops", "1e22", *law)["loss_nats"]  # G = 8 is not the optimum
    assert cli.error("budget", "--flops", "1e22", "--granularity", "8") == (
        "scaling-plan: error: --granularity: a granularity needs a mixture-of-experts law (krajewski-2024-moe), not"
        " epoch-2024"
    )
    assert cli.error("budget", "--flops", "1e22", *law, "--experts", "16").startswith(
        "scaling-plan: error: --experts: krajewski-2024-moe was fitted at E = 64 experts"
    )
    error = cli.error("budget", "--flops", "1e24", *law, "--blueprint", "--gpu", "H100-SXM", "--gpus", "1024",
                      "--ep", "3")  # fmt: skip
    assert error == "scaling-plan: error: --ep: 3 must divide the 2,048 routed experts"


@pytest.mark.slow
def test_a_mixtures_comparison_shows_total_parameters_granularity_and_memory(cli: Cli) -> None:
    args = ("budget", "--flops", "1e22", "--method", "law", "--law", "krajewski-2024-moe", "--compare-laws",
            "--blueprint", "--gpu", "H100-SXM")  # fmt: skip
    table = " ".join(cli.run(*args, env={"COLUMNS": "300"}).stdout.split())
    assert "Parameters, every expert ┃ Granularity G" in table and "Memory per GPU (GiB) ┃ Minimum GPUs" in table
    rows = {row["law"]: row for row in cli.json(*args)["compare_laws"] if row["method"] == "law"}
    moe, dense = rows["krajewski-2024-moe"], rows["krajewski-2024-dense"]
    assert moe["min_gpus"] > dense["min_gpus"]  # the mixture's experts need more memory than the dense model
    assert moe["ep"] is not None and dense["ep"] is None


def test_the_api_plans_a_mixtures_blueprint_as_budget_does(cli: Cli) -> None:
    import scaling_plan as sp

    fields = {"flops": 1e23, "method": "law", "law": "krajewski-2024-moe", "granularity": 16, "blueprint": True,
              "gpu": "H100-SXM", "gpus": 256, "ep": 8}  # fmt: skip
    args = [part for name, value in fields.items() for part in (f"--{name}", *([] if value is True else [str(value)]))]
    assert sp.plan(**fields).to_dict() == cli.json("budget", *args)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_mixtures_sweep_gives_each_budgets_total_parameters_and_granularity(cli: Cli) -> None:
    args = ("sweep", "--from", "1e21", "--to", "1e23", "--per-decade", "1", "--method", "law", "--law",
            "krajewski-2024-moe")  # fmt: skip
    header = next(line for line in cli.run(*args, env={"COLUMNS": "200"}).stdout.splitlines() if "N total" in line)
    assert header.index("N ") < header.index("N total") < header.index(" G ") < header.index(" D ")
    for row in cli.json(*args)["plans"]:  # each row the single plan of its budget: eq. 9's N = 43·N_act at E = 64
        plan = cli.json("budget", "--flops", repr(row["compute_flops"]), "--method", "law", "--law",
                        "krajewski-2024-moe")  # fmt: skip
        assert row["granularity"] == plan["granularity"] and row["n_params_total"] == pytest.approx(
            43 * row["n_params"]
        )


@pytest.mark.slow
def test_compare_gives_a_mixtures_total_parameters_and_granularity_beside_a_dense_run(cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dense, moe = tmp_path / "dense.yaml", tmp_path / "moe.yaml"
    dense.write_text("budget: {flops: 1e22}\nallocation: {method: law, law: krajewski-2024-dense}\n")
    moe.write_text("budget: {flops: 1e22}\nallocation: {method: law, law: krajewski-2024-moe}\n")
    first, second = cli.json("compare", str(dense), str(moe))["configs"]
    assert first["granularity"] is None and first["n_params_total"] is None
    assert second["granularity"] == 32 and second["n_params_total"] == pytest.approx(43 * second["n_params"])
    table = cli.run("compare", str(dense), str(moe), env={"COLUMNS": "200"}).stdout
    assert "Granularity G" in table and "Parameters, every expert" in table
    assert cli.run("compare", str(dense), str(dense)).stdout.count("Granularity") == 0  # dense only: no such rows


def test_predict_measures_a_mixtures_run_at_its_eq_10_compute(cli: Cli) -> None:
    """Krajewski et al. 2024, Table 2: 3B active parameters on 72.90B tokens is the compute-optimal mixture of 1.41e21
    FLOPs by eq. 10 (6·N·D alone is 1.31e21): predict counts it so, and finds it on the law's frontier."""
    record = cli.json("predict", "--params", "3B", "--tokens", "72.9B", "--law", "krajewski-2024-moe")
    assert record["compute_flops"] == pytest.approx(1.41e21, rel=0.005)
    assert abs(record["loss_gap_nats"]) < 1e-4 and abs(record["compute_overhead_pct"]) < 0.1
    notes = " ".join(
        cli.run("predict", "--params", "3B", "--tokens", "72.9B", "--law", "krajewski-2024-moe").stdout.split()
    )
    assert "at the run's compute by its eq. 10" in notes


@pytest.mark.parametrize("command", ["experiments", "simulate"])
def test_isoflop_grids_of_a_mixtures_law_are_refused_in_one_line(cli: Cli, command: str) -> None:
    """A grid of N and D at C = 6·N·D says nothing of a mixture's granularity: refused, not laid out as a dense one."""
    said = cli.error(command, "--budgets", "1e18,1e19", "--law", "krajewski-2024-moe")
    assert said.startswith("scaling-plan: error: --law: krajewski-2024-moe plans a mixture of experts")


@pytest.mark.slow
def test_beside_a_mixtures_law_the_published_frontiers_are_left_out_and_said(cli: Cli) -> None:
    """Their N and D at C = 6·N·D would spend more than the budget by eq. 10, and so beat the law's own optimum."""
    result = cli.run("budget", "--flops", "1e22", "--law", "krajewski-2024-moe", "--method", "law", "--compare-laws",
                     "--format", "json")  # fmt: skip
    methods = {row["method"] for row in json.loads(result.stdout)["compare_laws"]}
    assert "llama3-2024" not in methods and "deepseek-llm-2024" not in methods
    assert "llama3-2024 left out: its frontier allocates C = 6·N·D, which under krajewski-2024-moe's eq. 10" in (
        result.stderr
    )
    dense = cli.json("budget", "--flops", "1e22", "--compare-laws")["compare_laws"]
    assert "llama3-2024" in {row["method"] for row in dense}
