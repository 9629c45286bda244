"""Runs the scaling-plan steps of examples/ci/scaling-plan.yml verbatim, so the example cannot rot."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import CONFIGS, ROOT

WORKFLOW = ROOT / "examples" / "ci" / "scaling-plan.yml"


def scaling_plan_steps() -> list[dict[str, str]]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs_the_tool = re.compile(r"^\s*scaling-plan\s", re.MULTILINE)
    return [step for step in steps if runs_the_tool.search(step.get("run", ""))]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def run_steps(repo: Path, output: Path) -> None:
    bin_dir = Path(sys.executable).parent  # where this environment installed the scaling-plan command
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_BASE_REF": "main"}
    env["GITHUB_OUTPUT"] = str(output)
    for step in scaling_plan_steps():
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (step["name"], done.stderr)


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A repository whose main branch (as origin/main) holds the example config and a branch that changes it."""
    origin, repo = tmp_path / "origin", tmp_path / "repo"
    (origin / "configs").mkdir(parents=True)
    shutil.copy(CONFIGS / "chinchilla-70b.yaml", origin / "configs")
    git(origin, "init", "-q", "-b", "main")
    git(origin, "-c", "user.email=ci@example.com", "-c", "user.name=CI", "add", ".")
    git(origin, "-c", "user.email=ci@example.com", "-c", "user.name=CI", "commit", "-qm", "base")
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True, capture_output=True)
    config = repo / "configs" / "chinchilla-70b.yaml"
    config.write_text(config.read_text().replace("n_tokens: 1.4T", "n_tokens: 1.6T"))
    return repo


def test_the_workflow_runs_check_and_compare(pull_request: Path, tmp_path: Path) -> None:
    assert len(scaling_plan_steps()) == 2
    output = tmp_path / "github_output"
    run_steps(pull_request, output)
    assert output.read_text() == "exit_code=0\n"  # every rule of the example policy passes
    check = (pull_request / "check.md").read_text()
    assert check.startswith("### scaling-plan check: 0 failed, 4 passed")
    compare = (pull_request / "compare.md").read_text()
    assert "| Training tokens D | 1.40T | 1.60T (+200B, +14.3%) |" in compare


def test_the_workflow_reports_a_failed_policy(pull_request: Path, tmp_path: Path) -> None:
    config = pull_request / "configs" / "chinchilla-70b.yaml"
    config.write_text(config.read_text().replace("n_tokens: 1.6T", "n_tokens: 300B"))  # 4.3 tokens/param
    output = tmp_path / "github_output"
    run_steps(pull_request, output)
    assert output.read_text() == "exit_code=1\n"
    assert "**FAIL**" in (pull_request / "check.md").read_text()
