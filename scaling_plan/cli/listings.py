"""Listings: the presets (laws, gpus) and the JSON Schemas."""

import sys
from typing import Annotated

import typer

from ..budget import GPUS
from ..choices import OutputFormat
from ..errors import UsageError
from ..presets import PRESETS
from .app import command
from .options import QuietOption, QuietWithoutNotesOption, format_option


@command(
    (
        ("The config schema, for an editor's YAML language server", "scaling-plan schema > scaling-plan.schema.json"),
        ("The schema of every command's JSON output", "scaling-plan schema --output-schema"),
    )
)
def schema(
    output_schema: Annotated[
        bool, typer.Option("--output-schema", help="Print the schema of every command's JSON output instead.")
    ] = False,
    law_file: Annotated[bool, typer.Option("--law-file", help="Print the schema of a law file instead.")] = False,
    downstream_file: Annotated[
        bool, typer.Option("--downstream-file", help="Print the schema of a downstream file instead.")
    ] = False,
    hardware_file: Annotated[
        bool, typer.Option("--hardware-file", help="Print the schema of a hardware file (a custom GPU) instead.")
    ] = False,
    quiet: QuietWithoutNotesOption = False,
) -> None:
    """Print the JSON Schema of the config file (for editors' YAML language servers), generated from its models."""
    from ..output.schemas import (
        config_schema,
        downstream_file_schema,
        hardware_file_schema,
        law_file_schema,
        output_json_schema,
    )
    from ..output.writers import write_json

    asked = [flag for flag, on in (("--output-schema", output_schema), ("--law-file", law_file),
                                   ("--downstream-file", downstream_file), ("--hardware-file", hardware_file)) if on]  # fmt: skip
    if len(asked) > 1:
        raise UsageError(
            asked[1],
            f"give one of --output-schema, --law-file, --downstream-file or --hardware-file, not {' and '.join(asked)}",
        )
    chosen = (
        output_json_schema() if output_schema
        else law_file_schema() if law_file
        else downstream_file_schema() if downstream_file
        else hardware_file_schema() if hardware_file
        else config_schema()
    )  # fmt: skip
    write_json(chosen, sys.stdout)


@command((("The presets and their constants", "scaling-plan laws"), ("As JSON", "scaling-plan laws -f json")))
def laws(
    output_format: Annotated[OutputFormat, format_option(panel=None)] = "table",
    quiet: QuietOption = False,
) -> None:
    """List the loss-law presets with every constant and its source, and the published frontiers (allocation only)."""
    from ..allocate import FRONTIERS
    from ..output.listings import frontier_record, law_record
    from ..output.reports import emit_listing
    from ..output.tables import without_notes
    from ..presets import optimal_tokens_per_param

    records = [law_record(law, optimal_tokens_per_param(law, 1e24)) for law in PRESETS.values()]
    records += [frontier_record(frontier) for frontier in FRONTIERS.values()]
    keys = ("name", "formula", "optimal_tokens_per_param_at_1e24_flops", "predicts", "source")
    with without_notes(quiet):
        emit_listing("Loss-law presets (--law) and published frontiers (--method)", "laws", records, keys,
                     output_format, sys.stdout)  # fmt: skip


@command((("The presets and their peaks", "scaling-plan gpus"), ("As CSV", "scaling-plan gpus -f csv")))
def gpus(
    output_format: Annotated[OutputFormat, format_option(panel=None)] = "table",
    quiet: QuietOption = False,
) -> None:
    """List the GPU presets with their peak dense BF16 and FP8 FLOP/s, memory and its bandwidth, the GPU-to-GPU
    link's bandwidth, rated power and sources."""
    from ..output.listings import gpu_record
    from ..output.reports import emit_listing
    from ..output.tables import without_notes

    records = [gpu_record(gpu) for gpu in GPUS.values()]
    keys = (
        "name", "peak_flops_per_second", "peak_fp8_flops_per_second", "memory_gib", "memory_bandwidth_gb_per_second",
        "link_bandwidth_gb_per_second", "network_bandwidth_gb_per_second", "power_watts", "source",
    )  # fmt: skip
    with without_notes(quiet):
        emit_listing("GPU presets (--gpu)", "gpus", records, keys, output_format, sys.stdout)
