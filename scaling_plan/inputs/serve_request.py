"""Sourced values -> what `serve` is asked: the model (a config.json, a size or a shape), the GPU and the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..budget import DEFAULT_MBU, DEFAULT_OUTPUT_TOKENS, DEFAULT_PROMPT_TOKENS, Gpu, Hardware
from ..choices import KV_PRECISIONS, WEIGHTS_PRECISIONS
from ..errors import UsageError, named
from ..serving import ServeRequest
from .fields import fields_of
from .request import hardware_of, shape_request
from .values import Sourced, checked_number, checked_whole, sourced_choice

if TYPE_CHECKING:
    from ..architectures import Architecture

#: The serving fields of the table of fields (the section's switch, --serve, is budget's).
SERVE_FIELDS = tuple(name for name in fields_of("serve") if name != "serve")
#: The shape fields `serve` takes besides a config.json: a size to shape, or an explicit shape.
SERVE_SHAPE_FIELDS = (
    "family", "n_layers", "d_model", "n_heads", "d_ff", "n_kv_heads", "vocab_size", "ffn", "tied_embeddings", "style",
    "experts", "active_experts", "shared_experts", "expert_d_ff",
)  # fmt: skip


def _lengths(values: Mapping[str, Sourced]) -> tuple[int, int]:
    """Prompt and output tokens: given, or the prompt as the rest of --context."""
    prompt, output = checked_whole(values, "prompt_tokens"), checked_whole(values, "output_tokens")
    context = checked_whole(values, "context")
    output = DEFAULT_OUTPUT_TOKENS if output is None else output
    if context is None:
        return DEFAULT_PROMPT_TOKENS if prompt is None else prompt, output
    if prompt is not None:
        if prompt + output != context:
            raise UsageError(
                values["context"].where,
                f"is the prompt and output together: {prompt:,} + {output:,} is {prompt + output:,}, not {context:,}"
                f" (give {named('context')} or {named('prompt_tokens')}, not both)",
            )
        return prompt, output
    if context <= output:
        raise UsageError(
            values["context"].where,
            f"{context:,} tokens leave no prompt beside {output:,} output tokens ({named('output_tokens')})",
        )
    return context - output, output


def serving_gpu(values: Mapping[str, Sourced], hardware: Hardware | None, where: str) -> Gpu:
    """The GPU to serve on, with what serving needs of it (a memory size and its bandwidth); `where` names what asked
    for serving, when no GPU is given."""
    if hardware is None:
        raise UsageError(where, "serving needs a GPU: a preset (`scaling-plan gpus`) or a hardware file")
    gpu_where = values["gpu"].where if "gpu" in values else "peak_flops"
    if hardware.gpu.memory_bandwidth_bytes_per_second is None:
        raise UsageError(
            gpu_where,
            f"{hardware.gpu.name} has no memory bandwidth, which bounds decoding: use a preset or a hardware file with"
            " memory_bandwidth_gb_per_second",
        )
    if hardware.gpu.memory_bytes is None:
        raise UsageError(gpu_where, f"{hardware.gpu.name} has no memory size: give {named('gpu_memory_gib')}")
    return hardware.gpu


def serve_settings(
    values: Mapping[str, Sourced],
    gpu: Gpu,
    gpus: int | None,
    mfu: float,
    price: float | None,
    pue: float,
    warnings: list[str],
) -> ServeRequest:
    """The serving fields (precisions, request, batch, load, MBU) over the GPUs, MFU and price given."""
    prompt, output = _lengths(values)
    mbu = checked_number(values, "mbu")
    request = ServeRequest(
        weights_precision=sourced_choice(values, "weights_precision", WEIGHTS_PRECISIONS, "bf16"),
        kv_precision=sourced_choice(values, "kv_precision", KV_PRECISIONS, "bf16"),
        prompt_tokens=prompt, output_tokens=output, batch=checked_whole(values, "batch"), gpus=gpus, mfu=mfu,
        mbu=DEFAULT_MBU if mbu is None else mbu, price_usd_per_gpu_hour=price, pue=pue,
        load_tokens_per_second=checked_number(values, "tokens_per_second"),
    )  # fmt: skip
    if request.weights_precision == "fp8" and gpu.peak("fp8") is None:
        warnings.append(f"{gpu.name} has no FP8 peak: fp8 weights are computed at its BF16 peak")
    return request


@dataclass(frozen=True)
class ServeQuestion:
    model: str  # what the output calls the model: the config.json read, or the shape's size
    architecture: Architecture
    gpu: Gpu
    request: ServeRequest


def _architecture(values: Mapping[str, Sourced], warnings: list[str]) -> tuple[str, Architecture]:
    """The model to serve, and what the output calls it: a config.json (with shape flags over it), a size or a shape."""
    from ..architectures import architecture_of_shape

    item = values.get("hf_config")
    if item is not None:
        from .hf_config import OVERRIDES, read_hf_config, with_overrides

        beside = [
            values[name].where for name in (*SERVE_SHAPE_FIELDS, "params") if name in values and name not in OVERRIDES
        ]
        if beside:
            raise UsageError(
                item.where, f"serves the file's model, with its shape flags over it; {', '.join(beside)} cannot be"
                " given beside it",
            )  # fmt: skip
        overridden = [f"{values[name].where} {values[name].value}" for name in OVERRIDES if name in values]
        label = str(item.value) + (f" with {', '.join(overridden)}" if overridden else "")
        return label, with_overrides(read_hf_config(str(item.value), item.where), values, item.where)
    from ..blueprint import shape_of

    shape_values = {field: value for field, value in values.items() if field in (*SERVE_SHAPE_FIELDS, "params")}
    if not shape_values:
        raise UsageError("", f"give the model to serve: {named('hf_config')} PATH, {named('params')} or a shape")
    question, shape_warnings = shape_request(shape_values)
    warnings += shape_warnings
    shape = shape_of(question.blueprint, question.target_n_params)
    from ..units import format_count

    label = f"{shape.n_layers} layers x d_model {shape.d_model:,}" + (
        f", near {format_count(question.target_n_params)}" if question.target_n_params is not None else ""
    )
    return label, architecture_of_shape(shape)


def serve_question(values: Mapping[str, Sourced]) -> tuple[ServeQuestion, list[str]]:
    """`serve`'s question, validated, and warnings."""
    warnings: list[str] = []
    hardware = hardware_of(values, warnings)
    gpu = serving_gpu(values, hardware, "gpu")
    assert hardware is not None
    if hardware.mfu_predicted:
        raise UsageError(values["mfu"].where, "serve takes a number: predict is a training step's MFU")
    model, architecture = _architecture(values, warnings)
    request = serve_settings(
        values, gpu, hardware.n_gpus, hardware.mfu, hardware.price_usd_per_gpu_hour, hardware.pue, warnings
    )
    return ServeQuestion(model, architecture, gpu, request), warnings
