"""The one table of output fields: every field a table shows has a label and a format, names are unique, and one
entry (loss_bits) reaches JSON, CSV, the table and the output schema."""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
from collections import Counter

import pytest

import scaling_plan.output
from scaling_plan.output import fields
from scaling_plan.output.catalog import FIELDS, GROUPS, OTHER_FIELDS

from ..conftest import Cli

#: The output modules that make records and views: every module of the package, found by name so that a module split
#: off is not left out, but these (the table of fields and its formats, the writers, the schemas, the plot).
NOT_VIEWS = ("catalog", "catalog_fit", "fields", "writers", "tables", "files", "plot", "schemas", "fit_schemas")
VIEWS = [
    importlib.import_module(f"scaling_plan.output.{module.name}")
    for module in pkgutil.iter_modules(scaling_plan.output.__path__)
    if module.name not in NOT_VIEWS
]

#: Every tuple of field names the output modules show or write (the columns and rows of their tables).
SHOWN = {
    f"{module.__name__}.{name}": value
    for module in VIEWS
    for name, value in vars(module).items()
    if name.isupper() and isinstance(value, tuple) and value and all(isinstance(key, str) for key in value)
}


def test_each_field_name_is_in_the_table_once() -> None:
    every = [field.name for group in GROUPS.values() for field in group] + [field.name for field in OTHER_FIELDS]
    assert [name for name, count in Counter(every).items() if count > 1] == []


@pytest.mark.parametrize("where", sorted(SHOWN))
def test_every_field_shown_has_a_label_and_a_format(where: str) -> None:
    missing = [key for key in SHOWN[where] if key not in FIELDS]
    assert missing == [], f"{where}: fields without an entry in the output table"
    for key in SHOWN[where]:
        assert fields.label(key)
        sample = {"text": "x", "flag": True, "count": 3}.get(FIELDS[key].unit, 1.5)
        assert fields.humanise(key, sample)


def test_a_field_outside_the_table_fails_rather_than_printing_as_text() -> None:
    with pytest.raises(KeyError):
        fields.humanise("no_such_field", 1.0)


def test_a_tiny_change_is_never_shown_as_zero() -> None:
    assert fields.humanise("loss_gap_nats", 1.77e-5) == "+1.77e-05"
    assert fields.humanise("loss_gap_nats", 0.0214) == "+0.0214"


def test_loss_bits_reaches_json_csv_the_table_and_the_schema(cli: Cli) -> None:
    plan = cli.json("budget", "--flops", "1e24")
    assert plan["loss_bits"] == pytest.approx(plan["loss_nats"] / math.log(2), rel=1e-12)
    row = cli.csv("budget", "--flops", "1e24")[0]
    assert float(row["loss_bits"]) == pytest.approx(plan["loss_bits"], rel=1e-12)
    assert list(row).index("loss_bits") == list(row).index("loss_nats") + 1
    table = cli.run("budget", "--flops", "1e24", "--format", "table").stdout
    assert f"Predicted loss (bits/token) │ {plan['loss_bits']:.4f}" in " ".join(table.split())
    schema = json.loads(cli.run("schema", "--output-schema").stdout)
    assert schema["$defs"]["PlanRecord"]["properties"]["loss_bits"]["type"] == "number"
    assert "loss_bits" in schema["$defs"]["PlanRecord"]["required"]
