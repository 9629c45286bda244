"""What one model takes: its architecture counted (`shape --hf-config`) and its serving (`serve`, budget --serve),
as records and, for people, tables with every formula beneath them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from ..serving import MEMORY_UTILISATION, Serving

if TYPE_CHECKING:
    from ..architectures import Architecture, ArchitectureCount
from ..units import format_scientific
from .records import PLAN_SERVING_KEYS, SERVE_KEYS, Record, serving_record
from .tables import print_key_values
from .writers import Report, write_report


def serving_notes(served: Serving) -> list[str]:
    """How each figure follows, with this run's numbers."""
    gpu, request = served.gpu, served.request
    bandwidth = gpu.memory_bandwidth_bytes_per_second or 0.0
    link = gpu.link_bandwidth_bytes_per_second
    notes = [
        f"Memory per GPU = weights ({request.weights_precision}) / {served.gpus} GPUs + batch x (prompt + output) x"
        f" KV cache per token per GPU ({request.kv_precision}; key/value heads split over the GPUs, a latent"
        f" attention's latent kept whole on each) + activations; a server takes {MEMORY_UTILISATION:.0%} of"
        f" {gpu.name}'s memory (vLLM's default gpu_memory_utilization).",
        f"Time to first token = one prompt's FLOPs (2·N_active per token + causal attention) / ({served.gpus} x"
        f" {format_scientific(served.peak_flops_per_second)} FLOP/s x MFU {request.mfu:g}), at least its weights"
        " over the HBM bandwidth; queueing not counted.",
        f"Decode step = max(bytes read per GPU / ({bandwidth / 1e12:g} TB/s HBM x MBU {request.mbu:g}), FLOPs /"
        f" ({served.gpus} x peak x MFU)) + tensor-parallel all-reduces; it reads the weights the batch touches"
        " (a mixture of experts: the experts its tokens are routed to, routing taken as uniform) and every"
        " sequence's KV cache at its mean length. Bound by "
        f"{served.decode_bound} here.",
        "Roofline: no step is faster than its bytes over the full HBM bandwidth (MBU 1, no compute), so decode"
        " tokens/s never exceed the roofline's.",
        "Continuous batching: each request's prompt is prefilled on its own and the batch decodes together; request"
        " time = batch x prefill + output x step (batch requests in flight), so a replica serves batch / request"
        " time requests a second.",
    ]
    if served.gpus > 1:
        link_text = f"{link / 1e9:g} GB/s" if link is not None else "no link bandwidth known: not counted"
        notes.append(
            f"Tensor parallel over {served.gpus} GPUs: two all-reduces of the hidden state per layer (Megatron-LM),"
            f" ring volume 2(g-1)/g over the GPU link ({link_text}); latency not counted."
        )
    if request.price_usd_per_gpu_hour is not None:
        notes.append(
            "USD per million tokens: the replica's price (GPUs x price per GPU-hour) over the time its prefills take"
            " (input) and its decode steps take, shared by the batch (output)."
        )
    if gpu.power_watts is not None:
        notes.append(
            f"Energy: decode time at {gpu.power_watts:g} W ({gpu.name} TDP, an upper bound) per GPU x PUE"
            f" {request.pue:g}."
        )
    if served.gpus_chosen:
        notes.append(
            f"{served.gpus} GPU{'s' if served.gpus > 1 else ''} per replica: of the counts within a node that divide"
            " the attention heads, the one whose replica gives the most output tokens/s per GPU (more GPUs free"
            " memory for a larger batch, which shares each step's weight reads)."
        )
    notes.append(f"{gpu.name}: {gpu.source}.")
    return notes


def emit_serving(model: str, served: Serving, output_format: str, out: IO[str]) -> None:
    record = serving_record(model, served)

    def table(out: IO[str]) -> None:
        keys = [key for key in SERVE_KEYS if key not in ("schema_version", "model") and record[key] is not None]
        title = f"Serving {model} on {served.gpus} x {served.gpu.name}"
        print_key_values(title, record, keys, serving_notes(served), out)

    write_report(Report([record], record, table), output_format, out)


def print_plan_serving(record: Record, served: Serving, out: IO[str]) -> None:
    """budget --serve: the plan's blueprint served, beneath the plan."""
    keys = [key for key in PLAN_SERVING_KEYS if record[key] is not None]
    title = f"Serving the plan's model on {served.gpus} x {served.gpu.name}"
    print_key_values(title, record, keys, serving_notes(served), out)


def emit_architecture(
    hf_config: str, arch: Architecture, counted: ArchitectureCount, output_format: str, out: IO[str],
    overridden: Sequence[str] = (),
) -> None:  # fmt: skip
    """`shape --hf-config`: a released model's architecture and its exact counts (`overridden`: the flags that
    replaced what the file says, as given)."""
    from .records import ARCHITECTURE_KEYS, architecture_record

    record = architecture_record(hf_config, arch, counted)
    notes = [
        f"Counted as {arch.model_type}'s modelling code builds it: every weight, bias and norm the checkpoint holds;"
        " embedding: the token embedding, the output matrix when untied, learned positions.",
        "Parameters per token count the routed experts a token uses (and every shared one); FLOPs per token are the"
        " planner's 6·N with that N (C = 6·N·D).",
        "KV cache at bf16 (2 bytes an element; fp8 halves it): keys and values of every key/value head in every"
        " layer, or a latent attention's compressed latent and rotary key (DeepSeek-AI 2024, DeepSeek-V2, sec. 2.1).",
    ]
    if record["not_counted"] is not None:
        notes.append(f"Not counted: {record['not_counted']}.")
    if overridden:
        notes.append(f"Over the file: {', '.join(overridden)}.")

    def table(out: IO[str]) -> None:
        not_rows = ("schema_version", "hf_config", "not_counted")  # the file is in the title; what is left out a note
        keys = [key for key in ARCHITECTURE_KEYS if record[key] is not None and key not in not_rows]
        print_key_values(f"{arch.model_type} from {hf_config}", record, keys, notes, out)

    write_report(Report([record], record, table), output_format, out)
