"""The one table of fields: every field reaches a flag, a config key and the schema, and agrees with the domain."""

from __future__ import annotations

import json

import typer.main

from scaling_plan.cli import app
from scaling_plan.inputs.fields import FIELDS, SECTIONS, fields_of
from scaling_plan.policy import RULES

from ..conftest import Cli


def test_policy_fields_are_the_rules_check_enforces() -> None:
    assert set(fields_of("policy")) == set(RULES)


def test_every_flag_in_the_table_is_an_option_of_some_command() -> None:
    group = typer.main.get_command(app)
    options = {name for command in group.commands.values() for param in command.params for name in param.opts}  # type: ignore[attr-defined]
    missing = [field.flag for field in FIELDS if field.flag is not None and field.flag not in options]
    assert missing == []


def test_every_field_has_its_place_in_the_printed_schema(cli: Cli) -> None:
    schema = json.loads(cli.run("schema").stdout)
    for section, fields in SECTIONS.items():
        reference = schema["properties"][section]["$ref"].rsplit("/", 1)[-1]
        properties = schema["$defs"][reference]["properties"]
        assert list(properties) == [field.key for field in fields], section
        for field in fields:
            assert properties[field.key]["description"] == field.description
