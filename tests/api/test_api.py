"""The Python API: each result's to_dict() is exactly its command's JSON, and its docstrings' examples run."""

from __future__ import annotations

import doctest
import json
import runpy
from pathlib import Path
from typing import Any

import pytest

import scaling_plan as sp
from scaling_plan.inputs.fields import BY_NAME, fields_of

from ..conftest import CONFIGS, ROOT, Cli

RUNS = str(ROOT / "tests" / "data" / "chinchilla_approach3_points.csv")


def _cli_json(cli: Cli, *args: str) -> Any:
    result = cli.run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_issue_example(cli: Cli) -> None:
    assert sp.plan(flops=1e24).to_dict() == _cli_json(cli, "budget", "--flops", "1e24")


def test_a_plan_from_a_config_with_fields_over_it(cli: Cli) -> None:
    path = str(CONFIGS / "h100-cluster-30d.yaml")
    config = sp.load_config(path)
    assert sp.plan(config=config).to_dict() == _cli_json(cli, "budget", "-c", path)
    assert sp.plan(config=path, mfu=0.5).to_dict() == _cli_json(cli, "budget", "-c", path, "--mfu", "0.5")
    assert sp.plan(config=path, flops=1e23).compute_flops == 1e23  # a given replaces the config's


def test_a_sweep_is_exactly_the_sweep_commands_json(cli: Cli) -> None:
    result = sp.sweep(start=1e20, stop=1e24, per_decade=2, gpu="A100", compare_laws=True)
    flags = ("--from", "1e20", "--to", "1e24", "--per-decade", "2", "--gpu", "A100", "--compare-laws")
    assert result.to_dict() == _cli_json(cli, "sweep", *flags)
    assert len(result.records()) == 9
    dollars = sp.sweep(["$1M", 1e7], unit="dollars", gpu="H100", price_per_gpu_hour=2)
    flags = ("--budgets", "$1M,1e7", "--unit", "dollars", "--gpu", "H100", "--price-per-gpu-hour", "2")
    assert dollars.to_dict() == _cli_json(cli, "sweep", *flags)


@pytest.mark.slow
def test_a_fitted_law_is_fits_json_and_plans_as_its_law_file_does(cli: Cli, tmp_path: Path) -> None:
    fitted = sp.fit(RUNS, drop_top_loss=5, bootstrap=30, seed=7)
    assert fitted.converged and fitted.problem is None
    # Two fits of the same runs, alike up to what a threaded BLAS and memory alignment leave free (not to the last
    # bit). The bootstrap's summaries are looser: its warm starts include the fit's other local optima, points on
    # plateaus whose place depends on the optimiser's path (where starts merged), so a few refits may settle apart.
    record = fitted.to_dict()
    command = _cli_json(cli, "fit", RUNS, "--drop-top-loss", "5", "--bootstrap", "30", "--seed", "7")
    assert set(record) == set(command)
    for key, value in record.items():
        if key in ("n_starts_at_best", "iterations"):  # the optimiser's path to the same optimum, not the fit
            continue
        elif isinstance(value, float):
            rel = 1e-2 if key.endswith(("_low", "_high", "_se")) else 1e-6
            assert value == pytest.approx(command[key], rel=rel, abs=1e-12), key
        else:
            assert value == command[key], key
    law_file = tmp_path / "fitted.yaml"
    assert (
        cli.run("fit", RUNS, "--drop-top-loss", "5", "--bootstrap", "30", "--seed", "7", "-o", str(law_file)).exit_code
        == 0
    )
    from_file = _cli_json(cli, "budget", "--flops", "1e24", "--law", str(law_file), "--method", "law")
    planned = sp.plan(flops=1e24, law=fitted, method="law").to_dict()
    for key in ("n_params", "n_tokens", "loss_nats", "n_params_low", "n_params_high", "loss_nats_low"):
        rel = 1e-2 if key.endswith(("_low", "_high")) else 1e-6  # the same fit, made twice (the refits as above)
        assert planned[key] == pytest.approx(from_file[key], rel=rel), key
    assert planned["law"] == "chinchilla_approach3_points" and from_file["law"] == "fitted"


@pytest.mark.slow
def test_a_fit_by_another_criterion_is_what_fit_gives(cli: Cli) -> None:
    fitted = sp.fit(RUNS, criterion="asymmetric", asymmetry=4)
    shown = cli.json("fit", RUNS, "--criterion", "asymmetric", "--asymmetry", "4")
    assert fitted.record == shown and shown["criterion"] == "asymmetric"
    assert (fitted.E, fitted.alpha) == (shown["E"], shown["alpha"])


@pytest.mark.slow
def test_an_isoflop_fit_is_fits_json_and_plans_as_its_frontier_file_does(cli: Cli, tmp_path: Path) -> None:
    fitted = sp.fit(RUNS, approach="isoflop", bootstrap=50, seed=3)
    assert isinstance(fitted, sp.FittedFrontier)
    assert fitted.to_dict() == _cli_json(cli, "fit", RUNS, "--approach", "isoflop", "--bootstrap", "50", "--seed", "3")
    assert any("left out" in warning for warning in fitted.warnings)  # the budgets with too few sizes, as the CLI says
    frontier = tmp_path / "frontier.yaml"
    args = ("fit", RUNS, "--approach", "isoflop", "--bootstrap", "50", "--seed", "3", "-o", str(frontier))
    assert cli.run(*args).exit_code == 0
    from_file = _cli_json(cli, "budget", "--flops", "1e23", "--law", str(frontier), "--method", "law")
    planned = sp.plan(flops=1e23, law=fitted, method="law").to_dict()
    for key in ("n_params", "n_tokens", "loss_nats", "n_params_low", "n_params_high", "loss_nats_low"):
        assert planned[key] == pytest.approx(from_file[key], rel=1e-12), key
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.fit(RUNS, approach="isoflops")
    assert error.value.field == "approach"


def test_compare_is_exactly_the_compare_commands_json(cli: Cli) -> None:
    paths = [str(CONFIGS / name) for name in ("flops-1e24.yaml", "chinchilla-70b.yaml", "gopher-280b.yaml")]
    result = sp.compare([paths[0], sp.load_config(paths[1]), Path(paths[2])])
    assert result.to_dict() == _cli_json(cli, "compare", *paths)
    with pytest.raises(sp.ScalingPlanError) as error:
        sp.compare(paths[:1])
    assert error.value.field == "configs"


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda: sp.plan(flops=-1), "flops", "must be positive, got -1"),
        (lambda: sp.plan(flops="$1.5B"), "flops", "'$' is only for money"),
        (lambda: sp.plan(flops=1e24, gpu="H900"), "gpu", "unknown GPU"),
        (lambda: sp.plan(flops=1e24, law="epoch-2025"), "law", "did you mean 'epoch-2024'"),
        (lambda: sp.plan(flop=1e24), "flop", "did you mean 'flops'"),  # type: ignore[call-arg]
        (lambda: sp.sweep([1e20], unit="tokens"), "unit", "unknown unit 'tokens'"),
        (lambda: sp.fit(RUNS, interval=100), "interval", "from 1 to 99.9"),
        (lambda: sp.fit(RUNS, criterion="median"), "criterion", "unknown criterion 'median'"),
        (lambda: sp.fit(RUNS, criterion="mse", huber_delta=0.1), "huber_delta", "criterion huber only, not mse"),
        (lambda: sp.fit(RUNS, criterion="asymmetric", asymmetry=-2), "asymmetry", "must be positive"),
        (lambda: sp.load_config(ROOT / "no-such.yaml"), f"{ROOT / 'no-such.yaml'}", "no such file"),
    ],
)
def test_bad_input_raises_one_error_type_naming_the_field(call: Any, field: str, message: str) -> None:
    with pytest.raises(sp.ScalingPlanError) as error:
        call()
    assert error.value.field == field and message in error.value.message, str(error.value)


def test_the_api_takes_every_plan_field_and_only_those() -> None:
    """The typed fields agree with the one table of fields, so the API, the flags and the config keys never drift."""
    plan_fields = {name for name in fields_of("budget", "target", "hardware", "allocation", "data", "inference",
                                             "blueprint", "serve")}  # fmt: skip
    # downstream (mappings to predict a metric with, --downstream) is the one option outside the table: a list of
    # files, and no config key.
    assert set(sp.Fields.__optional_keys__) == plan_fields | {"downstream"}
    assert set(sp.Options.__optional_keys__) == plan_fields - set(fields_of("budget", "target")) | {"downstream"}
    assert all(BY_NAME[name].flag is not None for name in plan_fields)


def test_the_package_exports_its_api_and_its_types() -> None:
    assert set(sp.__all__) >= {"plan", "sweep", "fit", "load_config", "compare", "ScalingPlanError", "FittedLaw"}
    assert all(getattr(sp, name) is not None for name in sp.__all__)
    assert (Path(sp.__file__).parent / "py.typed").is_file()
    with pytest.raises(AttributeError):
        sp.no_such_thing  # noqa: B018


@pytest.mark.slow
def test_the_api_docstrings_run_as_doctests(monkeypatch: pytest.MonkeyPatch) -> None:
    """(The examples of README.md and docs/ run in tests/docs/test_doctests.py.)"""
    monkeypatch.chdir(ROOT)  # the examples name files from the repository's root
    import scaling_plan.api

    for module in (sp, scaling_plan.api):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0, module.__name__


def test_the_typed_example_script_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    runpy.run_path(str(ROOT / "examples" / "python" / "plan_a_run.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "$1,000,000: 68.9B parameters in 16.3 days" in out  # sqrt-rule allocation of 1e6/2.5 GPU-hours
    assert "refused: mfu: must be in [0.001, 1], got 1.5" in out


def test_no_module_of_the_package_shadows_a_function_of_the_api() -> None:
    """A domain module named like an API function (suggest.py beside suggest()) would replace it on the package once
    imported: sp.suggest would be the module."""
    import importlib
    import pkgutil
    import types

    for module in pkgutil.walk_packages(sp.__path__, "scaling_plan."):
        if not module.name.endswith((".plot", ".__main__")):  # matplotlib may be absent; __main__ runs the CLI
            importlib.import_module(module.name)
    shadowed = [name for name in sp.__all__ if isinstance(getattr(sp, name), types.ModuleType)]
    assert shadowed == []
