"""One row model feeds every output format: a record is a flat dict of plain values with units in the names.

json and csv print records as they are; table humanises them with rich (imported only for tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import IO, Any

from .allocate import TokensPerParamRule
from .budget import Gpu
from .laws import Law
from .plan import Plan
from .units import format_count, format_number, format_scientific, format_usd

#: Bumped when a field is renamed or removed (adding fields keeps the version).
SCHEMA_VERSION = 1

Record = dict[str, Any]


def plan_record(plan: Plan, role: str = "plan") -> Record:
    """The fields of one plan, in output order. Unknown values are None (null in JSON, empty in CSV)."""
    request, hardware = plan.request, plan.request.hardware
    rule = request.allocator if isinstance(request.allocator, TokensPerParamRule) else None
    return {
        "schema_version": SCHEMA_VERSION,
        "role": role,
        "given": request.given,
        "given_value": request.given_value,
        "compute_flops": plan.compute_flops,
        "n_params": plan.n_params,
        "n_tokens": plan.n_tokens,
        "tokens_per_param": plan.tokens_per_param,
        "loss_nats": plan.loss_nats,
        "method": request.allocator.method,
        "tokens_per_param_rule": rule.tokens_per_param if rule else None,
        "law": request.law.name,
        "law_source": request.law.source,
        "n_params_kind": request.law.n_params_kind,
        "loss_dataset": request.law.dataset,
        "extrapolated": plan.extrapolated,
        "gpu": hardware.gpu.name if hardware else None,
        "gpu_peak_flops": hardware.gpu.peak_flops_per_second if hardware else None,
        "mfu": hardware.mfu if hardware else None,
        "gpus": hardware.n_gpus if hardware else None,
        "price_usd_per_gpu_hour": hardware.price_usd_per_gpu_hour if hardware else None,
        "gpu_hours": plan.gpu_hours,
        "wall_clock_days": plan.wall_clock_days,
        "cost_usd": plan.cost_usd,
    }


def _check_finite(value: Any) -> Any:
    """Machine formats never carry NaN or inf: a non-finite number here is a bug, not an answer."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number in output: {value}")
    return value


def write_json(payload: Any, out: IO[str]) -> None:
    import json

    out.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def write_csv(records: Sequence[Record], out: IO[str]) -> None:
    import csv

    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON
    return _check_finite(value)


# --- tables -------------------------------------------------------------------------------------------------------

LABELS: dict[str, str] = {
    "compute_flops": "Compute (FLOPs)",
    "n_params": "Parameters N",
    "n_tokens": "Training tokens D",
    "tokens_per_param": "Tokens / parameter",
    "loss_nats": "Predicted loss (nats/token)",
    "method": "Allocation",
    "law": "Loss law",
    "gpu": "GPU",
    "mfu": "MFU",
    "gpus": "GPUs",
    "gpu_hours": "GPU-hours",
    "wall_clock_days": "Wall-clock days",
    "cost_usd": "Cost (USD)",
    "price_usd_per_gpu_hour": "Price (USD/GPU-hour)",
    "name": "Name",
    "formula": "Formula",
    "source": "Source",
    "optimal_tokens_per_param_at_1e24_flops": "Optimal tokens/param at 1e24",
    "peak_flops_per_second": "Peak dense BF16 FLOP/s",
}

FORMATS: dict[str, Callable[[Any], str]] = {
    "compute_flops": format_scientific,
    "n_params": format_count,
    "n_tokens": format_count,
    "tokens_per_param": format_number,
    "loss_nats": lambda x: f"{x:.4f}",
    "mfu": lambda x: f"{x:.2f}",
    "gpus": lambda x: f"{x:,}",
    "gpu_hours": format_count,
    "wall_clock_days": format_number,
    "cost_usd": format_usd,
    "price_usd_per_gpu_hour": lambda x: f"${x:,.2f}",
    "optimal_tokens_per_param_at_1e24_flops": format_number,
    "peak_flops_per_second": format_scientific,
}


#: Columns of names never wrap; columns of text are left-aligned, numbers right-aligned.
NAME_KEYS = frozenset({"method", "law", "gpu", "name"})
TEXT_KEYS = NAME_KEYS | {"formula", "source"}


def humanise(key: str, value: Any) -> str:
    if value is None:
        return "-"
    return FORMATS.get(key, str)(value)


def _console(out: IO[str]) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # rich would exit 1 itself; the CLI gives a closed pipe its own exit code

    console = _Console(file=out)
    if not console.is_terminal:
        # A pipe or file gets plain text (rich drops colour itself, and NO_COLOR is honoured) and room for wide tables.
        console.width = 160
    return console


def _print_table(title: str, table: Any, notes: Sequence[str], out: IO[str]) -> None:
    """A bold title, the table, and its notes (formulas, sources) as plain unwrapped lines."""
    console = _console(out)
    console.print(title, style="bold", highlight=False, markup=False)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, markup=False, soft_wrap=True)


def print_key_values(title: str, record: Record, keys: Sequence[str], notes: Sequence[str], out: IO[str]) -> None:
    """One record as a two-column table, with notes (formulas, sources) beneath."""
    from rich.table import Table

    table = Table(show_header=False)
    table.add_column("quantity", style="bold")
    table.add_column("value", justify="right")
    for key in keys:
        if record.get(key) is not None:
            table.add_row(LABELS.get(key, key), humanise(key, record[key]))
    _print_table(title, table, notes, out)


def print_rows(title: str, records: Sequence[Record], keys: Sequence[str], notes: Sequence[str], out: IO[str]) -> None:
    """Records as rows of one table, with notes beneath."""
    from rich.table import Table

    table = Table()
    shown = [key for key in keys if any(record.get(key) is not None for record in records)]
    for key in shown:
        text = key in TEXT_KEYS
        table.add_column(LABELS.get(key, key), justify="left" if text else "right", no_wrap=key in NAME_KEYS)
    for record in records:
        table.add_row(*(humanise(key, record.get(key)) for key in shown))
    _print_table(title, table, notes, out)


# --- the budget command -------------------------------------------------------------------------------------------

PLAN_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "gpu", "mfu", "gpus", "gpu_hours", "wall_clock_days", "price_usd_per_gpu_hour", "cost_usd",
)  # fmt: skip
COMPARE_KEYS = (
    "method", "law", "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip


def _title(plan: Plan) -> str:
    kind, value = plan.request.given, plan.request.given_value
    return {
        "flops": f"Plan for {format_scientific(value)} FLOPs",
        "dollars": f"Plan for {format_usd(value)}",
        "gpu_hours": f"Plan for {format_count(value)} GPU-hours",
        "days": f"Plan for {format_number(value)} days",
        "params": f"Compute that makes a {format_count(value)}-parameter model optimal",
        "tokens": f"Compute that makes {format_count(value)} training tokens optimal",
        "loss": f"Least compute that reaches loss {value:g} nats/token",
    }[kind]


def plan_notes(plan: Plan) -> list[str]:
    """The formulas and sources behind a plan's numbers, printed under its table."""
    request = plan.request
    law, hardware = request.law, request.hardware
    notes = [
        f"Allocation: {request.allocator.description}.",
        f"Loss: {law.name}, {law.formula} ({law.source}); nats/token on {law.dataset}.",
        "Compute: C = 6·N·D training FLOPs (forward 2·N·D + backward 4·N·D).",
    ]
    if law.n_params_kind != "total":
        notes.append(f"N counts {law.n_params_kind} parameters under {law.name}.")
    if hardware is not None:
        notes.append(hardware.formula + ".")
        if hardware.n_gpus is not None:
            notes.append(f"Wall-clock days = GPU-hours / ({hardware.n_gpus:,} GPUs x 24 h).")
        if hardware.price_usd_per_gpu_hour is not None:
            notes.append(f"Cost = GPU-hours x ${hardware.price_usd_per_gpu_hour:,.2f} per GPU-hour.")
    return notes


def emit_budget(plan: Plan, compared: Sequence[Plan] | None, output_format: str, out: IO[str]) -> None:
    record = plan_record(plan)
    compare_records = [plan_record(other, "compare") for other in compared or ()]
    if output_format == "json":
        payload: Record = dict(record)
        if compared is not None:
            payload["compare_laws"] = compare_records
        write_json(payload, out)
    elif output_format == "csv":
        write_csv([record, *compare_records], out)
    else:
        print_key_values(_title(plan), record, PLAN_KEYS, plan_notes(plan), out)
        if compared is not None:
            notes = ["Each optimum row predicts loss with its own law; the rule row with the plan's law."]
            print_rows("The same question under each allocation", compare_records, COMPARE_KEYS, notes, out)


# --- listings of presets ----------------------------------------------------------------------------------------

#: Constants a law may carry; a law without one has None there, so every row has the same fields.
LAW_CONSTANTS = (
    "E", "A", "B", "alpha", "beta",
    "alpha_n", "alpha_d", "n_c", "d_c", "frontier_n_coefficient", "frontier_n_exponent",
)  # fmt: skip


def law_record(law: Law) -> Record:
    n_params, n_tokens = law.optimum(1e24)
    record: Record = {"schema_version": SCHEMA_VERSION, "name": law.name}
    record.update({constant: getattr(law, constant, None) for constant in LAW_CONSTANTS})
    record.update(
        {
            "irreducible_loss_nats": law.irreducible_loss,
            "optimal_tokens_per_param_at_1e24_flops": n_tokens / n_params,
            "n_params_kind": law.n_params_kind,
            "loss_dataset": law.dataset,
            "formula": law.formula,
            "source": law.source,
        }
    )
    return record


def gpu_record(gpu: Gpu) -> Record:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": gpu.name,
        "peak_flops_per_second": gpu.peak_flops_per_second,
        "source": gpu.source,
    }


def emit_listing(
    title: str, key: str, records: Sequence[Record], table_keys: Sequence[str], output_format: str, out: IO[str]
) -> None:
    """A list of presets: JSON nests the records under `key`; CSV gives a row each; the table shows table_keys."""
    if output_format == "json":
        write_json({"schema_version": SCHEMA_VERSION, key: list(records)}, out)
    elif output_format == "csv":
        write_csv(records, out)
    else:
        print_rows(title, records, table_keys, [], out)
