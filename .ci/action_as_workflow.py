"""Write action.yml's steps as a workflow, for actionlint, which lints workflows but not action metadata: the
action's inputs become workflow_dispatch inputs, so every `inputs.*`, `github.*` and `steps.*` expression, `if:` and
step is checked as a workflow would run them."""

import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    action = yaml.safe_load(handle)
inputs = {
    name: {"description": spec.get("description", ""), "default": spec.get("default", ""), "type": "string"}
    for name, spec in action.get("inputs", {}).items()
}
workflow = {
    "name": action["name"],
    "on": {"workflow_dispatch": {"inputs": inputs}, "pull_request": {}},
    "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
}
json.dump(workflow, sys.stdout, indent=1)
