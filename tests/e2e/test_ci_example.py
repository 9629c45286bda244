"""The CI example on a simulated pull request: examples/ci/scaling-plan.yml's steps, through action.yml's, run as the
runner runs them (each `run:` in bash with its `env:` and `if:` evaluated), on a repository whose pull-request branch
changes one config, adds one, deletes one and adds one that cannot be read. And the pre-commit hook's entry."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..conftest import CONFIGS, ROOT

# A simulated pull request through the workflow's steps: the full suite runs it, the everyday loop leaves it out.
pytestmark = pytest.mark.slow

WORKFLOW = ROOT / "examples" / "ci" / "scaling-plan.yml"
ACTION = ROOT / "action.yml"
MARKER = "<!-- scaling-plan report -->"


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.email=ci@example.com", "-c", "user.name=CI"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """origin/main holds three configs; the pull request changes one, deletes one, adds one and adds a bad one."""
    origin, repo = tmp_path / "origin", tmp_path / "repo"
    (origin / "configs" / "laws").mkdir(parents=True)
    for name in ("chinchilla-70b.yaml", "gopher-280b.yaml", "flops-1e24.yaml"):
        shutil.copy(CONFIGS / name, origin / "configs")
    shutil.copy(CONFIGS / "laws" / "sardana-2024.yaml", origin / "configs" / "laws")  # a law file: not a config
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "base")
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True, capture_output=True)
    git(repo, "checkout", "-q", "-b", "bigger-run")
    config = repo / "configs" / "chinchilla-70b.yaml"
    config.write_text(config.read_text().replace("n_tokens: 1.4T", "n_tokens: 1.6T"))
    (repo / "configs" / "gopher-280b.yaml").unlink()
    shutil.copy(CONFIGS / "h100-dollars.yaml", repo / "configs" / "new-run.yaml")
    (repo / "configs" / "bad.yaml").write_text("budget: {flops: 1e24}\nhardware: {gpu: H900}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a bigger run")
    return repo


# --- the runner, as far as these steps need it ----------------------------------------------------------------------

_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||==|!=|[(),!]|[A-Za-z_][\w.-]*)")


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """A GitHub Actions expression over `context`: property paths, 'strings', ==, !=, !, &&, ||, always() and
    format(). Anything else fails the test, so the action cannot grow an expression this runner does not read."""
    python = []
    position = 0
    while position < len(expression.rstrip()):
        match = _TOKEN.match(expression, position)
        assert match, f"cannot read {expression[position:]!r}"
        token, position = match.group(1), match.end()
        if token.startswith("'"):
            python.append(repr(token[1:-1].replace("''", "'")))
        elif token in ("&&", "||", "!"):
            python.append({"&&": " and ", "||": " or ", "!": " not "}[token])
        elif token in ("==", "!=", "(", ")", ","):
            python.append(token)
        elif token in ("always", "format"):
            python.append(f"_{token}")
        else:
            value: Any = context
            for part in token.split("."):
                value = value[part] if isinstance(value, dict) and part in value else ""
            python.append(repr(value))

    def _format(template: str, *args: Any) -> str:
        return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), template)

    return eval("".join(python), {"__builtins__": {}, "_always": lambda: True, "_format": _format})


def substitute(text: str, context: dict[str, Any]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), context)), text)


def fake_gh(directory: Path, state: Path) -> None:
    """A `gh` that serves the GitHub issue-comments API from a JSON file (jq filters run by the real jq)."""
    script = directory / "gh"
    script.write_text(f"""#!{sys.executable}
import json, subprocess, sys
state = {str(state)!r}
comments = json.load(open(state))
args = sys.argv[1:]
assert args[0] == "api", args
method = args[args.index("--method") + 1] if "--method" in args else "GET"
fields = dict(a.split("=", 1) for i, a in enumerate(args) if i and args[i - 1] == "-F")
body = open(fields["body"][1:]).read() if "body" in fields else None
if method == "GET":
    out = json.dumps(comments)
    if "--jq" in args:
        out = subprocess.run(["jq", "-r", args[args.index("--jq") + 1]], input=out, text=True,
                             capture_output=True, check=True).stdout
    print(out, end="")
elif method == "POST":
    comments.append({{"id": 100 + len(comments), "body": body}})
elif method == "PATCH":
    target = int(next(a for a in args if a.startswith("repos/")).rsplit("/", 1)[1])
    next(c for c in comments if c["id"] == target)["body"] = body
json.dump(comments, open(state, "w"))
""")
    script.chmod(0o755)


def run_action(repo: Path, tmp_path: Path, fork: bool = False) -> tuple[dict[str, int], dict[str, str]]:
    """The workflow's steps: checkout is the repository itself; the action's steps run from action.yml, with the
    workflow's inputs over the action's defaults. Returns each run step's exit code and the runner's files."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["plan"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].startswith("your-org/scaling-plan@")  # this repository's action.yml
    action = yaml.safe_load(ACTION.read_text())
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({name: str(value) for name, value in steps[1].get("with", {}).items()})
    head = "someone/fork" if fork else "your-org/training"
    context: dict[str, Any] = {
        "inputs": inputs,
        "github": {
            "base_ref": "main", "token": "t0ken", "repository": "your-org/training", "action_path": str(ROOT),
            "event": {"pull_request": {"number": 7, "head": {"repo": {"full_name": head}}}},
        },
        "steps": {},
    }  # fmt: skip
    git(repo, "fetch", "-q", "origin")  # origin/main, as checkout with fetch-depth 0 leaves it
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake_gh(bin_dir, tmp_path / "comments.json")
    files = {"GITHUB_OUTPUT": tmp_path / "output", "GITHUB_STEP_SUMMARY": tmp_path / "summary.md"}
    for path in files.values():
        path.write_text("")
    codes: dict[str, int] = {}
    for step in action["runs"]["steps"]:
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@")  # the job's Python: here, this one
            continue
        if "INSTALL" in step.get("env", {}):
            assert step["run"].strip() == 'python -m pip install "$INSTALL"'
            assert "@v" in inputs["install"]  # pinned: the numbers change only when a config does
            continue  # this environment has scaling-plan installed already
        condition = step.get("if")
        if condition is not None and not evaluate(condition, context):
            continue
        env = {name: substitute(str(value), context) for name, value in step.get("env", {}).items()}
        path = f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
        env = {**os.environ, **env, "PATH": path, "GITHUB_REPOSITORY": "your-org/training"}
        env.update({name: str(file) for name, file in files.items()})
        assert step["shell"] == "bash"
        files["GITHUB_OUTPUT"].write_text("")
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=repo,
                              env=env, capture_output=True, text=True)  # fmt: skip
        codes[step["name"]] = done.returncode
        outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines())
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
    return codes, {name: file.read_text() for name, file in files.items()}


def test_a_pull_request_is_checked_compared_and_reported_once(pull_request: Path, tmp_path: Path) -> None:
    (tmp_path / "comments.json").write_text("[]")
    codes, files = run_action(pull_request, tmp_path)
    report = (pull_request / "scaling-plan-report.md").read_text()
    assert report.startswith(MARKER) and files["GITHUB_STEP_SUMMARY"] == report  # the job summary gets it all
    # check: the bad config's own error, not "no policy"; the flag's limit applies to every config.
    assert report.count("### scaling-plan check: 0 failed, 6 passed, 1 could not be checked") == 1
    assert "configs/bad.yaml | - | **ERROR** | - | - | configs/bad.yaml:2: hardware.gpu: unknown GPU 'H900'" in report
    assert "| configs/new-run.yaml | min_tokens_per_param | pass |" in report
    # compare: the changed config against its base, the new one as new, the deleted one as deleted, the bad one said.
    assert "| Change | base | changed | deleted | new |" in report
    assert "| Training tokens D | 1.40T | 1.60T (+200B, +14.3%) |" in report
    assert "**Not compared:**\n\n- configs/bad.yaml:2: hardware.gpu: unknown GPU 'H900'" in report
    assert "flops-1e24" not in report.split("### scaling-plan compare")[1]  # unchanged: not compared
    assert "sardana" not in report  # a law file in configs/laws/ is not a config
    # one comment, then the same comment updated on the next push; and the job fails: a config cannot be read.
    comments = json.loads((tmp_path / "comments.json").read_text())
    assert len(comments) == 1 and comments[0]["body"] == report
    config = pull_request / "configs" / "chinchilla-70b.yaml"
    config.write_text(config.read_text().replace("n_tokens: 1.6T", "n_tokens: 1.8T"))
    git(pull_request, "commit", "-qam", "bigger still")
    run_action(pull_request, tmp_path)
    comments = json.loads((tmp_path / "comments.json").read_text())
    assert len(comments) == 1 and "| Training tokens D | 1.40T | 1.80T" in comments[0]["body"]
    assert codes["Check and compare the configs"] == 0 and codes["Post the report on the pull request"] == 0
    assert codes["Fail when a rule failed (exit 1) or a config could not be read (exit 2)"] == 2


def test_a_fixed_pull_request_passes_and_a_fork_gets_the_summary_only(pull_request: Path, tmp_path: Path) -> None:
    (pull_request / "configs" / "bad.yaml").unlink()
    git(pull_request, "commit", "-qam", "drop the bad config")
    (tmp_path / "comments.json").write_text("[]")
    codes, files = run_action(pull_request, tmp_path, fork=True)
    assert "Post the report on the pull request" not in codes  # a fork's token cannot comment: not tried
    assert json.loads((tmp_path / "comments.json").read_text()) == []
    assert "### scaling-plan check: 0 failed, 6 passed" in files["GITHUB_STEP_SUMMARY"]
    assert codes["Fail when a rule failed (exit 1) or a config could not be read (exit 2)"] == 0


def test_a_pull_request_that_breaks_a_rule_fails_the_job(pull_request: Path, tmp_path: Path) -> None:
    (pull_request / "configs" / "bad.yaml").unlink()
    shutil.copy(CONFIGS / "gopher-280b.yaml", pull_request / "configs" / "gopher-280b.yaml")  # 1.07 tokens/param
    git(pull_request, "add", "-A")
    git(pull_request, "commit", "-qm", "gopher again")
    (tmp_path / "comments.json").write_text("[]")
    codes, files = run_action(pull_request, tmp_path)
    assert (
        "| configs/gopher-280b.yaml | min_tokens_per_param | **FAIL** | 1.07 tokens/param | 15.0 tokens/param |"
        in files["GITHUB_STEP_SUMMARY"]
    )
    assert codes["Fail when a rule failed (exit 1) or a config could not be read (exit 2)"] == 1


def test_the_pre_commit_hook_checks_the_configs_it_is_given(pull_request: Path) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = [
        "configs/chinchilla-70b.yaml",
        "configs/new-run.yaml",
        "configs/laws/sardana-2024.yaml",
        "README.md",
        "docs/check.md",
    ]
    chosen = [name for name in files if re.search(hook["files"], name)]
    assert chosen == ["configs/chinchilla-70b.yaml", "configs/new-run.yaml"]  # configs, not law files
    entry = shlex.split(hook["entry"])
    bin_dir = Path(sys.executable).parent  # where pre-commit's own environment would have installed the entry
    command = [str(bin_dir / entry[0]), *entry[1:], "--min-tokens-per-param", "15"]
    assert subprocess.run([*command, *chosen], cwd=pull_request, capture_output=True).returncode == 0
    failing = subprocess.run([*command, "configs/bad.yaml"], cwd=pull_request, capture_output=True, text=True)
    assert failing.returncode == 2 and "unknown GPU 'H900'" in failing.stderr
