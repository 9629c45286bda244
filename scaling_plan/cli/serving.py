"""The serving command: a model's memory, latency, throughput and cost per million tokens on a GPU."""

import sys
from typing import Annotated

import typer

from ..budget import DEFAULT_MFU
from ..choices import ReportFormat
from ..inputs.serve_request import SERVE_FIELDS, SERVE_SHAPE_FIELDS
from .app import command, warn_all
from .options import NO_FIELDS, FieldValues, QuietOption, format_option, hf_config_option, plan_flags, with_fields

FormatOption = Annotated[ReportFormat, format_option("Output format (markdown for a pull request or notebook).")]
#: What the hardware flags mean when serving.
RETOLD = {
    "gpus": "GPUs per replica: one copy of the model split over them by tensor parallelism (default: the count within"
    " a node, dividing the heads, that gives the most output tokens/s per GPU).",
    "mfu": f"FLOPs utilisation of prefill and of a compute-bound decode step, a fraction (default {DEFAULT_MFU:.2f}).",
    "peak_flops": "Dense peak FLOP/s per GPU: overrides the preset's.",
    "gpu_memory_gib": "Memory per GPU in GiB: overrides the preset's.",
}


@command(
    (
        (
            "A released model on two H100s, with costs",
            "scaling-plan serve --hf-config config.json --gpu H100 --gpus 2 --price-per-gpu-hour 2.5",
        ),
        ("Batch 16 with fp8 weights and cache", "scaling-plan serve --params 8B --gpu H100 --weights-precision fp8"
         " --kv-precision fp8 --batch 16"),
        ("The GPUs for 50,000 output tokens a second", "scaling-plan serve --params 70B --gpu H200 --gpus 2"
         " --tokens-per-second 5e4"),
    )
)  # fmt: skip
@with_fields(
    "gpu", "peak_flops", "gpu_memory_gib", "mfu", "gpus", "price_per_gpu_hour", "pue", *SERVE_SHAPE_FIELDS,
    *SERVE_FIELDS, retold=RETOLD, panels={"blueprint": "Model: a size (--params) or a shape, or flags over --hf-config"},
)  # fmt: skip
def serve(
    hf_config: Annotated[
        str | None,
        hf_config_option(
            "A released model's Hugging Face config.json (or the folder holding it) to serve; shape flags"
            " beside it (--layers, --kv-heads, ...) replace what it says."
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            help="Or a size to shape and serve: active parameters, e.g. 7B.", show_default=False, metavar="PARAMS"
        ),
    ] = None,
    fields: FieldValues = NO_FIELDS,
    output_format: FormatOption = "table",
    quiet: QuietOption = False,
) -> None:
    """Serve a model: memory per GPU, time to first token, decode tokens/s and the cost of a million tokens.

    --gpus is the GPUs of one replica (tensor parallel). Decoding is bound by memory bandwidth at the batch sizes
    people serve: each step reads the weights and every sequence's KV cache. Prefill is compute-bound.
    """
    from ..answers import serving_of
    from ..inputs.values import Sourced
    from ..output.models import emit_serving
    from ..output.tables import without_notes

    values = plan_flags(fields | {"params": params})
    if hf_config is not None:
        values["hf_config"] = Sourced(hf_config, "--hf-config")
    model, served, warnings = serving_of(values)
    warn_all(list(warnings))
    with without_notes(quiet):
        emit_serving(model, served, output_format, sys.stdout)
