import subprocess
from pathlib import Path

import pytest

from ..conftest import CONFIGS, Cli

CHINCHILLA, GOPHER = str(CONFIGS / "chinchilla-70b.yaml"), str(CONFIGS / "gopher-280b.yaml")


def test_deltas_are_against_the_first_config(cli: Cli) -> None:
    first, second = cli.json("compare", CHINCHILLA, GOPHER)["configs"]
    assert first["baseline"] == second["baseline"] == CHINCHILLA
    assert (first["subject"], second["subject"]) == ("intended run", "intended run")
    assert (first["n_params"], second["n_params"]) == (70e9, 280e9)
    assert second["delta_n_params"] == pytest.approx(210e9)
    assert second["delta_n_params_pct"] == pytest.approx(300.0)
    assert second["delta_n_tokens_pct"] == pytest.approx(100 * (300e9 - 1.4e12) / 1.4e12)
    assert second["delta_loss_gap_nats"] == pytest.approx(second["loss_gap_nats"] - first["loss_gap_nats"])
    assert second["delta_loss_gap_nats_pct"] is None  # a percent of a near-zero gap would say nothing
    assert first["delta_cost_usd"] == 0


def test_a_config_without_a_run_is_compared_by_its_plan(cli: Cli) -> None:
    first, second = cli.json("compare", str(CONFIGS / "flops-1e24.yaml"), str(CONFIGS / "h100-dollars.yaml"))["configs"]
    assert first["subject"] == "planned run"
    assert first["budget_flops"] == first["compute_flops"] == 1e24
    assert first["gpu_hours"] is None and second["gpu_hours"] is not None
    assert second["delta_gpu_hours"] is None


def test_markdown_is_a_table_ready_for_a_pull_request(cli: Cli) -> None:
    result = cli.run("compare", CHINCHILLA, GOPHER, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("|  |"))
    assert CHINCHILLA in header and GOPHER in header
    assert any(line.startswith("|:---|---:|") for line in lines)
    n_row = next(line for line in lines if line.startswith("| Parameters N |"))
    assert n_row == "| Parameters N | 70.0B | 280B (+210B, +300.0%) |"
    assert any(line.startswith("| Compute overhead |") for line in lines)


def test_table_and_csv(cli: Cli) -> None:
    table = cli.run("compare", CHINCHILLA, GOPHER)
    assert table.exit_code == 0 and "280B (+210B, +300.0%)" in table.stdout
    rows = cli.csv("compare", CHINCHILLA, GOPHER)
    assert [float(row["n_params"]) for row in rows] == [70e9, 280e9]
    assert rows[0]["delta_n_params"] == "0.0"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "ci@example.com")
    git(tmp_path, "config", "user.name", "CI")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "run.yaml").write_text(Path(CHINCHILLA).read_text())
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_base_ref_compares_a_config_with_its_version_at_that_ref(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = repo / "configs" / "run.yaml"
    config.write_text(config.read_text().replace("n_params: 70B", "n_params: 35B"))
    monkeypatch.chdir(repo)
    base, head = cli.json("compare", "--base-ref", "main", "configs/run.yaml")["configs"]
    assert base["config"] == "main:configs/run.yaml" and head["config"] == "configs/run.yaml"
    assert head["baseline"] == "main:configs/run.yaml"
    assert (base["n_params"], head["n_params"]) == (70e9, 35e9)
    assert head["delta_n_params_pct"] == pytest.approx(-50.0)
    # From another directory too: the path is read relative to where it is, not where git runs.
    monkeypatch.chdir(repo / "configs")
    assert cli.json("compare", "--base-ref", "main", "run.yaml")["configs"][0]["n_params"] == 70e9


def test_base_ref_errors_are_clear(cli: Cli, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    config = str(repo / "configs" / "run.yaml")
    assert "unknown git ref 'no-such-branch'" in cli.error("compare", "--base-ref", "no-such-branch", config)
    new = repo / "configs" / "new.yaml"
    new.write_text(Path(GOPHER).read_text())
    records = cli.json("compare", "--base-ref", "main", str(new))["configs"]
    assert [(row["config"], row["change"], row["baseline"]) for row in records] == [(str(new), "new", str(new))]
    gone = repo / "configs" / "gone.yaml"
    assert f"{gone}: no such file, here or at main" in cli.error("compare", "--base-ref", "main", str(gone))
    outside = tmp_path_factory.mktemp("not-a-repo") / "run.yaml"
    outside.write_text(Path(CHINCHILLA).read_text())
    assert "is not in a git repository" in cli.error("compare", "--base-ref", "main", str(outside))
    broken = repo / "configs" / "run.yaml"
    git(repo, "checkout", "-q", "-b", "broken")
    broken.write_text("run:\n  n_params: 7B\n")
    git(repo, "commit", "-qam", "broken")
    git(repo, "checkout", "-q", "main")
    assert "broken:" in cli.error("compare", "--base-ref", "broken", config)


def test_compare_needs_two_configs_or_a_base_ref(cli: Cli) -> None:
    assert "at least two configs" in cli.error("compare", CHINCHILLA)
    assert "no such file" in cli.error("compare", CHINCHILLA, "missing.yaml")


def test_a_folder_with_no_change_against_the_base_says_so(cli: Cli, repo: Path) -> None:
    folder = str(repo / "configs")
    result = cli.run("compare", "--base-ref", "main", folder, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"### scaling-plan compare\n\nNo config in {folder} differs from main.\n"
    assert cli.json("compare", "--base-ref", "main", folder)["configs"] == []
    (repo / "configs" / "run.yaml").write_text(Path(GOPHER).read_text())  # uncommitted: still a change
    (repo / "configs" / "draft.yaml").write_text(Path(CHINCHILLA).read_text())  # untracked: new
    changes = [(row["config"], row["change"]) for row in cli.json("compare", "--base-ref", "main", folder)["configs"]]
    assert changes == [(f"{folder}/draft.yaml", "new"), (f"main:{folder}/run.yaml", "base"),
                       (f"{folder}/run.yaml", "changed")]  # fmt: skip
