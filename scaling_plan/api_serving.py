"""The Python API's serving question (`scaling-plan serve`): kept beside api.py, which it shares its habits with."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from .api_fields import GpuFields, Quantity, ServeFields, ShapeFields

if TYPE_CHECKING:
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
        from .api import _as_json
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
    from .api import _said
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
