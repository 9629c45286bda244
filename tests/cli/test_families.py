"""fit --form and backtest --form: each law family fitted back from runs `simulate` made from it, its law file read
back by --law, the families ranked on the same held-out runs, and bad input refused in one line."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
import yaml

import scaling_plan as sp
from scaling_plan.inputs.lawfile import load_law_file
from scaling_plan.laws import KaplanLaw
from scaling_plan.presets import PRESETS

from ..conftest import ROOT, Cli

CHINCHILLA_RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")
MUENNIGHOFF_RUNS = str(ROOT / "tests" / "data" / "muennighoff2023_runs.csv")
#: 25 budgets, a quarter decade apart, from 1e17 to 1e23 FLOPs.
BUDGETS = ",".join(f"{10 ** (17 + i / 4):.4g}" for i in range(25))
#: A frontier whose slope turns from 0.12 to 0.27 around 1e20 FLOPs, and a straight one (written as fit writes them).
BROKEN = {"kind": "broken", "name": "bent", "k_n": 0.1, "a": 0.5, "E": 1.8, "A": 200.0, "gamma": 0.12,
          "gamma_change": 0.15, "break_flops": 1e20, "sharpness": 0.5}  # fmt: skip
STRAIGHT = {"kind": "frontier", "name": "straight", "k_n": 0.1, "a": 0.5, "E": 1.8, "A": 200.0, "gamma": 0.15}


def simulated(cli: Cli, tmp_path: Path, law: str, *args: str) -> str:
    runs = tmp_path / "runs.csv"
    result = cli.run("simulate", "--law", law, "--seed", "11", "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    runs.write_text(result.stdout)
    return str(runs)


def law_file(tmp_path: Path, data: dict[str, object]) -> str:
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def held(fitted: dict[str, float], truth: dict[str, float]) -> list[str]:
    return [f"{name}: {value:.4g} not in [{fitted[name + '_low']:.4g}, {fitted[name + '_high']:.4g}]"
            for name, value in truth.items() if not fitted[f"{name}_low"] <= value <= fitted[f"{name}_high"]]  # fmt: skip


def test_kaplan_is_fitted_back_from_runs_of_the_kaplan_preset(cli: Cli, tmp_path: Path) -> None:
    runs = simulated(cli, tmp_path, "kaplan-2020", "--budgets", "1e18,1e19,1e20,1e21,1e22", "--sizes-per-budget", "9",
                     "--noise", "0.01")  # fmt: skip
    fitted = cli.json("fit", runs, "--form", "kaplan", "--bootstrap", "200")
    kaplan = PRESETS["kaplan-2020"]
    assert isinstance(kaplan, KaplanLaw)
    assert fitted["form"] == "kaplan" and fitted["form_choice"] is None
    assert fitted["alpha_n"] == pytest.approx(kaplan.alpha_n, rel=0.10)  # Kaplan et al. 2020, Table 2
    assert fitted["alpha_d"] == pytest.approx(kaplan.alpha_d, rel=0.10)
    truth = {"alpha_n": kaplan.alpha_n, "alpha_d": kaplan.alpha_d, "n_c": kaplan.n_c, "d_c": kaplan.d_c}
    assert held(fitted, truth) == []


def test_compute_is_fitted_back_from_runs_of_a_frontier(cli: Cli, tmp_path: Path) -> None:
    frontier = law_file(tmp_path, STRAIGHT)
    runs = simulated(cli, tmp_path, frontier, "--budgets", BUDGETS, "--sizes-per-budget", "1", "--noise", "0.003")
    fitted = cli.json("fit", runs, "--form", "compute", "--bootstrap", "200")
    assert fitted["n_runs_fitted"] == 25
    assert fitted["a"] == pytest.approx(0.5, abs=1e-6) and fitted["k_n"] == pytest.approx(0.1, rel=1e-4)
    assert held(fitted, {"E": 1.8, "A": 200.0, "gamma": 0.15}) == []


@pytest.mark.slow
def test_broken_is_fitted_back_from_runs_of_a_broken_frontier(cli: Cli, tmp_path: Path) -> None:
    runs = simulated(cli, tmp_path, law_file(tmp_path, BROKEN), "--budgets", BUDGETS, "--sizes-per-budget", "1",
                     "--noise", "0.002")  # fmt: skip
    fitted = cli.json("fit", runs, "--form", "broken", "--bootstrap", "200")
    truth = {"E": 1.8, "gamma": 0.12, "gamma_change": 0.15, "break_flops": 1e20}
    assert held(fitted, truth) == []


@pytest.mark.parametrize(("form", "kind"), [("kaplan", "kaplan"), ("compute", "frontier"), ("broken", "broken")])
@pytest.mark.slow
def test_each_familys_law_file_is_read_back_by_law(cli: Cli, tmp_path: Path, form: str, kind: str) -> None:
    path = tmp_path / f"{form}.yaml"
    runs = CHINCHILLA_RUNS
    if form == "broken":  # Chinchilla's runs show no bend (test_a_break_at_the_edge_is_no_law)
        runs = simulated(cli, tmp_path, law_file(tmp_path, BROKEN), "--budgets", BUDGETS, "--sizes-per-budget", "1",
                         "--noise", "0.002")  # fmt: skip
    result = cli.run("fit", runs, "--form", form, "--bootstrap", "50", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(path.read_text())
    assert data["kind"] == kind and data["procedure"]["criterion"] == "huber"
    schema = json.loads(cli.run("schema", "--law-file").stdout)
    jsonschema.validate(data, schema)
    plan = cli.json("budget", "--flops", "1e22", "--law", str(path), "--method", "law")
    assert plan["law"] == form and plan["n_params_low"] < plan["n_params"] < plan["n_params_high"]
    assert 6 * plan["n_params"] * plan["n_tokens"] == pytest.approx(1e22)
    assert cli.run("sweep", "--law", str(path), "--method", "law", "--budgets", "1e21,1e22").exit_code == 0


@pytest.mark.slow
def test_a_familys_fit_matches_the_output_schema(cli: Cli) -> None:
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    for form in ("kaplan", "compute"):
        document = cli.json("fit", CHINCHILLA_RUNS, "--form", form, "--bootstrap", "20")
        jsonschema.validate(document, {"$ref": "#/$defs/FormFitOutput", "$defs": schema["$defs"]})
        rows = cli.csv("fit", CHINCHILLA_RUNS, "--form", form)
        assert rows[0]["form"] == form and float(rows[0]["residual_rmse_log"]) < 0.05
    document = cli.json("fit", CHINCHILLA_RUNS, "--form", "auto")
    assert document["form_choice"].startswith(f"auto chose {document['form']}: ")


@pytest.mark.slow
def test_a_break_at_the_edge_of_the_runs_is_no_law(cli: Cli) -> None:
    """Chinchilla's runs bend nowhere inside their compute: the best broken fit puts its break at the largest budget,
    which the fit reports as its problem (exit 1), and auto passes over it, saying why."""
    result = cli.run("fit", CHINCHILLA_RUNS, "--form", "broken")
    assert result.exit_code == 1 and "no bend within the runs" in result.stderr
    kept = cli.run("fit", CHINCHILLA_RUNS, "--form", "broken", "--bootstrap", "20", "--allow-unconverged")
    assert kept.exit_code == 0 and "the 20 bootstrap refits were not run: the fit itself has a problem" in kept.stderr
    chosen = cli.json("fit", CHINCHILLA_RUNS, "--form", "auto")
    assert chosen["form"] != "broken"


@pytest.mark.slow
def test_backtest_ranks_every_family_on_each_held_out_budgets_best_run(cli: Cli) -> None:
    result = cli.json("backtest", CHINCHILLA_RUNS, "--holdout-top", "30", "--form", "all")
    scores = result["scores"]
    assert [score["method"] for score in scores] == ["parametric", "kaplan", "compute", "broken"]
    assert {score["scored_on"] for score in scores} == {"each held-out budget's best run"}
    scored = [score for score in scores if score["n_predictions"]]
    by_error = sorted(scored, key=lambda score: score["mean_abs_error_pct"])
    assert [score["rank"] for score in by_error] == list(range(1, len(scored) + 1)) and len(scored) >= 3
    assert len({score["n_predictions"] for score in scored}) == 1  # the same held-out runs for every family
    assert all(score["rank"] is None and score["note"] for score in scores if not score["n_predictions"])
    table = cli.run("backtest", CHINCHILLA_RUNS, "--holdout-top", "30", "--form", "all").stdout
    assert "Rank" in table and "each held-out budget's best run" in " ".join(table.split())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("fit", CHINCHILLA_RUNS, "--form", "power"), "--form: "),
        (("fit", CHINCHILLA_RUNS, "--form", "kaplan", "--approach", "isoflop"), "--form: applies to --approach"),
        (("backtest", CHINCHILLA_RUNS, "--holdout-top", "9", "--form", "kaplan,power"),
         "--form: unknown law family 'power'"),
        (("backtest", CHINCHILLA_RUNS, "--holdout-top", "9", "--form", "kaplan", "--approach", "isoflop"),
         "--form: applies to --approach parametric or both"),
    ],
)  # fmt: skip
def test_bad_forms_are_one_line(cli: Cli, args: tuple[str, ...], expected: str) -> None:
    assert expected in cli.error(*args)


def test_too_few_budgets_for_a_compute_family_is_refused_before_fitting(cli: Cli, tmp_path: Path) -> None:
    runs = simulated(cli, tmp_path, "epoch-2024", "--budgets", "1e18,1e19,1e20", "--sizes-per-budget", "5")
    assert "3 budgets" in cli.error("fit", runs, "--form", "compute")
    assert "broken is fitted to each budget's best run and its 6 constants need 7" in cli.error(
        "fit", runs, "--form", "broken"
    )


def test_a_law_file_of_another_kind_with_a_bad_constant_names_its_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("kind: kaplan\nalpha_n: 0.076\nalpha_d: 5\nn_c: 6.4e13\nd_c: 1.8e13\n")
    assert "bad.yaml:3: alpha_d" in cli.error("budget", "--flops", "1e22", "--law", str(path))
    bent = dict(BROKEN, gamma_change=-0.5)
    assert "gamma + gamma_change = -0.38" in cli.error("budget", "--flops", "1e22", "--law", law_file(tmp_path, bent),
                                                       "--method", "law")  # fmt: skip


@pytest.mark.slow
def test_the_api_fits_each_family_as_the_cli_does(cli: Cli) -> None:
    kaplan = sp.fit(CHINCHILLA_RUNS, form="kaplan")
    assert isinstance(kaplan, sp.FittedKaplan) and kaplan.to_dict() == cli.json("fit", CHINCHILLA_RUNS, "--form",
                                                                                 "kaplan")  # fmt: skip
    assert sp.plan(flops=1e22, law=kaplan, method="law").n_params == pytest.approx(kaplan.optimum(1e22)[0])
    bent = sp.fit(CHINCHILLA_RUNS, form="compute")
    assert isinstance(bent, sp.FittedFrontier) and bent.record["form"] == "compute"
    chosen = sp.fit(CHINCHILLA_RUNS, form="auto")
    assert chosen.record["form_choice"] == cli.json("fit", CHINCHILLA_RUNS, "--form", "auto")["form_choice"]
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.fit(CHINCHILLA_RUNS, form="power")
    assert error.value.field == "form"


@pytest.mark.slow
def test_suggest_refuses_a_law_without_what_its_runs_need_and_a_cap_the_law_cannot_answer(
    cli: Cli, tmp_path: Path
) -> None:
    repeating = tmp_path / "repeating.yaml"
    made = cli.run("fit", MUENNIGHOFF_RUNS, "--form", "data-constrained", "--bootstrap", "10", "-o", str(repeating))
    assert made.exit_code == 0, made.stderr
    said = cli.error("suggest", CHINCHILLA_RUNS, "--law", str(repeating), "--target", "1e23")  # no unique tokens
    assert said.startswith("scaling-plan: error: --unique-col:") and "unique tokens" in said
    said = cli.error("suggest", CHINCHILLA_RUNS, "--law", "chinchilla-2022", "--target", "1e24",
                     "--unique-tokens", "1T")  # fmt: skip
    assert said.startswith("scaling-plan: error: --law:") and "bootstrap" in said  # a preset: no refits, said first
    moe = tmp_path / "moe.yaml"
    mixture = mixture_runs_file(tmp_path, noise=0.005)
    assert cli.run("fit", mixture, "--form", "moe", "--bootstrap", "20", "-o", str(moe)).exit_code == 0
    said = cli.error("suggest", mixture, "--law", str(moe), "--target", "1e23", "--unique-tokens", "1T")
    assert said.startswith("scaling-plan: error: --unique-tokens:") and "fitted with repetition" in said
    said = cli.error("suggest", CHINCHILLA_RUNS, "--law", str(moe), "--target", "1e23")  # dense runs: no G
    assert said.startswith("scaling-plan: error: --granularity-col:") and "granularity" in said
    other = tmp_path / "other" / "mixture.csv"
    other.parent.mkdir()
    other.write_text(Path(mixture).read_text().replace(",64,", ",32,"))
    said = cli.error("suggest", str(other), "--law", str(moe), "--target", "1e23")
    assert said.startswith("scaling-plan: error: --experts-col:") and "(32)" in said and "(64)" in said
    said = cli.error("suggest", mixture, "--law", "krajewski-2024-moe", "--target", "1e23")  # a preset: no refits
    assert said.startswith("scaling-plan: error: --law:") and "bootstrap" in said
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.suggest(mixture, law=moe, target=1e23, unique_tokens=1e12)
    assert error.value.field == "unique_tokens"


@pytest.mark.slow
def test_the_data_constrained_law_is_fitted_written_and_planned_with(cli: Cli, tmp_path: Path) -> None:
    from tests.repeats import LAW, repeated_runs, write_runs

    runs = write_runs(repeated_runs(), tmp_path / "repeats.csv")
    out = str(tmp_path / "repeats.yaml")
    record = cli.json("fit", runs, "--form", "data-constrained", "--bootstrap", "30", "-o", out)
    assert (record["form"], record["n_runs"]) == ("data-constrained", 80)
    assert record["rd_star"] == pytest.approx(LAW.rd_star, rel=0.1) and record["rd_star_low"] < record["rd_star_high"]
    written = yaml.safe_load(Path(out).read_text())
    assert (written["kind"], written["rd_star"]) == ("parametric", record["rd_star"])
    # each refit's E, A, B, alpha, beta and its own R_D* and R_N*: a capped plan's interval spans the repetition too
    assert {len(row) for row in written["bootstrap"]["samples"]} == {7}
    refits = load_law_file(out).refits()  # type: ignore[attr-defined]
    assert len({refit.rd_star for refit in refits}) == len(refits) > 1
    assert [refit.rn_star for refit in refits] == [row[6] for row in written["bootstrap"]["samples"]]
    plan = cli.json("budget", "--flops", "1e21", "--law", out, "--method", "law", "--unique-tokens", "1e9")
    assert plan["epochs"] > 1 and plan["loss_nats_low"] < plan["loss_nats"] < plan["loss_nats_high"]
    kept = len(written["bootstrap"]["samples"])  # the capped plan's note counts the refits of the law it caps
    assert f"of repeats's {kept} bootstrap refits" in cli.run("budget", "--flops", "1e21", "--law", out, "--method",
                                                              "law", "--unique-tokens", "1e9").stdout  # fmt: skip
    six = tmp_path / "six.yaml"  # rows of neither width: said in those words, at the first row's line
    six.write_text(yaml.safe_dump({**written, "bootstrap": {**written["bootstrap"],
                                   "samples": [row[:6] for row in written["bootstrap"]["samples"]]}}))  # fmt: skip
    said = cli.error("budget", "--flops", "1e21", "--law", str(six))
    assert ": bootstrap.samples[0]: a row of 6; the rows are all of five" in said and str(six) in said
    older = tmp_path / "older.yaml"  # a file of rows of five, as earlier versions wrote: each refit keeps the law's
    written["bootstrap"]["samples"] = [row[:5] for row in written["bootstrap"]["samples"]]
    older.write_text(yaml.safe_dump(written))
    assert {refit.rd_star for refit in load_law_file(str(older)).refits()} == {written["rd_star"]}  # type: ignore[attr-defined]
    del written["rd_star"], written["rn_star"]  # rows of seven need the law's own R_D* and R_N*
    written["bootstrap"]["samples"] = yaml.safe_load(Path(out).read_text())["bootstrap"]["samples"]
    older.write_text(yaml.safe_dump(written, sort_keys=False))
    line = older.read_text().splitlines().index("  samples:") + 1
    said = cli.error("budget", "--flops", "1e21", "--law", str(older))
    assert said.startswith(f"scaling-plan: error: {older}:{line}: bootstrap.samples: rows of seven"), said
    table = cli.run("fit", runs, "--form", "data-constrained").stdout
    assert "R_D*" in table and "fitted first to the 20 runs that see their data once" in " ".join(table.split())


def test_a_base_law_held_is_said_and_refused_where_it_cannot_apply(cli: Cli) -> None:
    notes = cli.run("fit", MUENNIGHOFF_RUNS, "--form", "data-constrained", "--base-law", "datablations-2023").stdout
    assert "held at datablations-2023's" in " ".join(notes.split())
    assert "--base-law: holds the data-constrained form's base law: give --form data-constrained" in cli.error(
        "fit", MUENNIGHOFF_RUNS, "--base-law", "datablations-2023"
    )
    assert "--base-law: kaplan-2020 is not of the form E + A/N^alpha + B/D^beta" in cli.error(
        "fit", MUENNIGHOFF_RUNS, "--form", "data-constrained", "--base-law", "kaplan-2020"
    )


def test_runs_that_cannot_determine_the_data_constrained_law_are_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    assert "reads each run's unique tokens: no such column (tried unique_tokens" in cli.error(
        "fit", CHINCHILLA_RUNS, "--form", "data-constrained"
    )

    def runs_file(name: str, unique_per_param: float) -> str:  # six runs of 20 tokens a parameter
        path = tmp_path / name
        path.write_text("n_params,n_tokens,unique_tokens,loss_nats\n" + "".join(
            f"{n:g},{20 * n:g},{unique_per_param * n:g},{2 + 1e3 / n ** 0.3:.4f}\n"
            for n in (1e7, 3e7, 1e8, 3e8, 1e9, 3e9)))  # fmt: skip
        return str(path)

    once = runs_file("once.csv", 40)
    assert "no run repeats its data" in cli.error("fit", once, "--form", "data-constrained")
    assert "--unique-col: no column 'U2'" in cli.error("fit", once, "--form", "data-constrained", "--unique-col", "U2")
    small = tmp_path / "small.csv"  # each run twice over 1,000 tokens a parameter: no size its data cannot use
    small.write_text("n_params,n_tokens,unique_tokens,loss_nats\n" + "".join(
        f"{n:g},{2000 * n:g},{1000 * n:g},{2 + 1e3 / n ** 0.3:.4f}\n" for n in (1e7, 3e7, 1e8, 3e8, 1e9, 3e9)))  # fmt: skip
    result = cli.run("fit", str(small), "--form", "data-constrained", "--base-law", "datablations-2023")
    assert result.exit_code == 1 and "the runs do not determine R_N*" in result.stderr
    every = runs_file("every.csv", 2)  # every run sees its data 10 times
    assert (
        "0 runs see each unique token at most once; the base law's five constants are fitted to those and need 6"
        " (or hold them at a law: --base-law)" in cli.error("fit", every, "--form", "data-constrained")
    )


def test_the_api_fits_the_data_constrained_law_as_the_cli_does(cli: Cli) -> None:
    fitted = sp.fit(MUENNIGHOFF_RUNS, form="data-constrained", base_law="datablations-2023")
    assert isinstance(fitted, sp.FittedLaw) and fitted.rd_star is not None
    assert fitted.to_dict() == cli.json("fit", MUENNIGHOFF_RUNS, "--form", "data-constrained", "--base-law",
                                        "datablations-2023")  # fmt: skip
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.fit(MUENNIGHOFF_RUNS, base_law="datablations-2023")
    assert error.value.field == "base_law"


def mixture_runs_file(tmp_path: Path, noise: float = 0.0, expansion: tuple[float, ...] = (64.0,),
                      granularities: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)) -> str:  # fmt: skip
    """Runs over Krajewski et al. 2024's ranges (N_act 3M to 86M at E = 64, 16B to 130B tokens), each granularity,
    their loss from their law (moe.MoELaw.loss_at) with seeded log-normal noise; the expansions cycle over rows."""
    import itertools

    import numpy as np

    law = PRESETS["krajewski-2024-moe"]
    rng = np.random.default_rng(5)
    rows = ["n_params,n_tokens,granularity,expansion,loss_nats"]
    grid = itertools.product(np.geomspace(3e6, 8.6e7, 5), np.geomspace(1.6e10, 1.3e11, 4), granularities)
    for index, (n, d, g) in enumerate(grid):
        loss = float(law.loss_at(n, d, g)) * math.exp(noise * rng.standard_normal())  # type: ignore[attr-defined]
        rows.append(f"{n:.8g},{d:.8g},{g:g},{expansion[index % len(expansion)]:g},{loss:.9f}")
    path = tmp_path / "mixture.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.mark.slow
def test_the_moe_law_is_fitted_written_and_planned_with_as_the_preset_plans(cli: Cli, tmp_path: Path) -> None:
    runs, out = mixture_runs_file(tmp_path), str(tmp_path / "mixture.yaml")
    record = cli.json("fit", runs, "--form", "moe", "--bootstrap", "20", "-o", out)
    assert (record["form"], record["n_runs"]) == ("moe", 100)
    law = PRESETS["krajewski-2024-moe"]
    for name in ("E", "A", "B", "alpha", "beta", "g", "gamma"):
        assert record[name] == pytest.approx(getattr(law, name), rel=1e-5), name
    written = yaml.safe_load(Path(out).read_text())
    assert (written["kind"], written["expansion"], len(written["bootstrap"]["samples"][0])) == ("moe", 64, 7)
    most = written["fitted_range"]["compute_flops"][1]  # eq. 10's FLOPs, the router's too: more than 6·N·D
    assert most > 6 * 8.6e7 * 1.3e11 * 1.05
    args = ("budget", "--flops", "1e24", "--method", "law")
    fitted, preset = cli.json(*args, "--law", out), cli.json(*args, "--law", "krajewski-2024-moe")
    for key in ("n_params", "n_tokens", "loss_nats", "n_params_total"):
        assert fitted[key] == pytest.approx(preset[key], rel=1e-4), key
    assert fitted["granularity"] == preset["granularity"] == 32
    # 20 refits of noiseless runs: each the same law, so the interval closes on the plan
    assert fitted["n_params_low"] == pytest.approx(fitted["n_params_high"], rel=1e-6)
    assert fitted["n_params_low"] == pytest.approx(fitted["n_params"], rel=1e-6)
    table = " ".join(cli.run("fit", runs, "--form", "moe").stdout.split())
    assert "│ g │" in table and "N_act·(8E + 4)/12" in table and "eq. 10" in table


def test_runs_that_cannot_determine_the_moe_law_are_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    assert "the moe form reads each run's granularity: no such column (tried granularity, G; name it with" \
           " --granularity-col)" in cli.error("fit", CHINCHILLA_RUNS, "--form", "moe")  # fmt: skip
    mixed = mixture_runs_file(tmp_path, expansion=(64.0, 8.0))
    assert cli.error("fit", mixed, "--form", "moe") == (
        f"scaling-plan: error: {mixed}:3: expansion 8, where the first run has 64: the moe law is fitted at one"
        " expansion E (select one with --where)"
    )
    one = mixture_runs_file(tmp_path, granularities=(4.0,))
    assert "every run has granularity 4: the moe law's g and gamma need two or more" in cli.error(
        "fit", one, "--form", "moe"
    )
    assert "--granularity-col: no column 'Gr'" in cli.error("fit", one, "--form", "moe", "--granularity-col", "Gr")


@pytest.mark.slow
def test_the_api_fits_the_moe_law_as_the_cli_does(cli: Cli, tmp_path: Path) -> None:
    runs = mixture_runs_file(tmp_path, noise=0.003)
    fitted = sp.fit(runs, form="moe")
    assert isinstance(fitted, sp.FittedMoE) and fitted.problem is None
    assert fitted.to_dict() == cli.json("fit", runs, "--form", "moe")
    out = str(tmp_path / "mixture.yaml")
    cli.json("fit", runs, "--form", "moe", "-o", out)
    assert sp.plan(flops=1e23, method="law", law=fitted).to_dict()["n_params"] == pytest.approx(
        cli.json("budget", "--flops", "1e23", "--method", "law", "--law", out)["n_params"], rel=1e-9
    )


@pytest.mark.slow
def test_backtest_all_and_auto_take_the_families_the_runs_can_determine(cli: Cli, tmp_path: Path) -> None:
    """`--form all` adds the data-constrained law for runs with unique tokens and the mixture's for runs with a
    granularity and an expansion, and auto chooses among them. On Muennighoff et al.'s 182 runs, their law predicts
    the 30 largest from the rest better than Chinchilla's form does; on runs of Krajewski et al.'s law, theirs does."""
    scores = {row["method"]: row for row in cli.json("backtest", MUENNIGHOFF_RUNS, "--holdout-top", "30", "--form",
                                                     "all")["scores"]}  # fmt: skip
    assert set(scores) == {"parametric", "kaplan", "compute", "broken", "data-constrained"}
    assert scores["data-constrained"]["rank"] == 1
    assert scores["data-constrained"]["mean_abs_error_pct"] < scores["parametric"]["mean_abs_error_pct"]
    mixture = mixture_runs_file(tmp_path, noise=0.005)
    scores = {
        row["method"]: row for row in cli.json("backtest", mixture, "--holdout-top", "20", "--form", "all")["scores"]
    }
    assert "moe" in scores and scores["moe"]["rank"] == 1
    assert cli.json("fit", mixture, "--form", "auto")["form"] == "moe"
    assert cli.json("fit", MUENNIGHOFF_RUNS, "--form", "auto")["form"] == "data-constrained"
    absent = cli.run("backtest", CHINCHILLA_RUNS, "--holdout-top", "30", "--form", "chinchilla,moe")
    assert absent.exit_code == 0 and "moe: no granularity or expansion in the runs" in absent.stderr
