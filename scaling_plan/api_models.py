"""The Python API's questions about a model itself: its architecture from a config.json (`shape --hf-config`) and
its serving (`serve`). Kept beside api.py, whose habits it shares."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from .api_fields import GpuFields, Quantity, ServeFields, ShapeFields

if TYPE_CHECKING:
    from .architectures import Architecture, ArchitectureCount
    from .serving import Serving


class ServeOptions(GpuFields, ShapeFields, ServeFields, total=False):
    """What serve() may be given besides a config.json: the GPU, a size or a shape, and the request (the flags of
    `scaling-plan serve`)."""

    params: Quantity


class ServeResult(NamedTuple):
    """A model served: `serving` holds every figure (memory per GPU, prefill and decode times, throughput, costs)."""

    model: str
    serving: Serving
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan serve ... --format json`."""
        from .api_support import _as_json
        from .output.records import serving_record

        return _as_json(serving_record(self.model, self.serving))


def serve(hf_config: str | os.PathLike[str] | None = None, **options: Any) -> ServeResult:
    """Serve a model (a Hugging Face config.json, `params`, or a shape) on `gpus` GPUs of `gpu` per replica:

    >>> import scaling_plan as sp
    >>> served = sp.serve("tests/data/hf_configs/llama-2-70b.json", gpu="H100-SXM", gpus=2, batch=16)
    >>> f"{served.serving.kv_cache_bytes_per_token / 1024:.0f} KiB per token, {served.serving.batch_max} fit"
    '320 KiB per token, 20 fit'
    """
    from .answers import serving_of
    from .api_support import _said
    from .errors import UsageError, unknown_name
    from .inputs.values import Sourced

    known = ServeOptions.__optional_keys__
    for name in options:
        if name not in known:
            raise UsageError(name, unknown_name("option", name, sorted(known)))
    values = {name: Sourced(value, name) for name, value in options.items() if value is not None and value is not False}
    if hf_config is not None:
        values["hf_config"] = Sourced(os.fspath(hf_config), "hf_config")
    model, served, warnings = serving_of(values)
    return ServeResult(model, served, _said(warnings))


class ArchitectureResult(NamedTuple):
    """A released model's architecture and its exact counts (`shape --hf-config`): `architecture` as the config
    describes it, `counts` every parameter (total, used per token, embedding) and the KV cache a token adds."""

    hf_config: str
    architecture: Architecture
    counts: ArchitectureCount

    def to_dict(self) -> dict[str, Any]:
        """Exactly `scaling-plan shape --hf-config PATH --format json`."""
        from .api_support import _as_json
        from .output.records import architecture_record

        return _as_json(architecture_record(self.hf_config, self.architecture, self.counts))


def architecture(hf_config: str | os.PathLike[str], **shape: Any) -> ArchitectureResult:
    """A released model's Hugging Face config.json (or the folder holding it), counted exactly; shape fields given
    (n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab_size, tied_embeddings, experts, ...) replace what it says:

    >>> import scaling_plan as sp
    >>> mixtral = sp.architecture("tests/data/hf_configs/mixtral-8x7b.json")
    >>> f"{mixtral.counts.params_total:,} total, {mixtral.counts.params_active:,} per token"
    '46,702,792,704 total, 12,879,925,248 per token'
    """
    from .architectures import count_architecture
    from .errors import UsageError, unknown_name
    from .inputs.hf_config import OVERRIDES, read_hf_config, with_overrides
    from .inputs.values import Sourced

    for name in shape:
        if name not in OVERRIDES:
            raise UsageError(name, unknown_name("shape field", name, sorted(OVERRIDES)))
    path = os.fspath(hf_config)
    given = {name: Sourced(value, name) for name, value in shape.items() if value is not None}
    architecture = with_overrides(read_hf_config(path), given, path)
    return ArchitectureResult(path, architecture, count_architecture(architecture))
