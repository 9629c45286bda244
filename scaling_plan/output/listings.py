"""The records of the listings: `laws` (each preset law and published frontier) and `gpus` (each GPU preset)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import SCHEMA_VERSION, Record

if TYPE_CHECKING:
    from ..allocate import PublishedFrontier
    from ..budget import Gpu
    from ..laws import Law


#: Constants a law may carry; a law without one has None there, so every row has the same fields.
LAW_CONSTANTS = (
    "E", "A", "B", "alpha", "beta",
    "alpha_n", "alpha_d", "n_c", "d_c", "frontier_n_coefficient", "frontier_n_exponent", "rd_star", "rn_star",
)  # fmt: skip


def law_record(law: Law, optimal_tokens_per_param_at_1e24_flops: float) -> Record:
    record: Record = {"schema_version": SCHEMA_VERSION, "name": law.name}
    record.update({constant: getattr(law, constant, None) for constant in LAW_CONSTANTS})
    record.update(
        {
            "irreducible_loss_nats": law.irreducible_loss,
            "optimal_tokens_per_param_at_1e24_flops": optimal_tokens_per_param_at_1e24_flops,
            "n_params_kind": law.n_params_kind,
            "loss_dataset": law.dataset,
            "formula": law.formula,
            "source": law.source,
            "predicts": f"loss L(N, D) and its own optimum (--law {law.name})",
        }
    )
    return record


def frontier_record(frontier: PublishedFrontier) -> Record:
    """A published frontier in the laws listing: it allocates, and predicts no loss."""
    n_params, n_tokens = frontier.allocate(1e24)
    return {
        "schema_version": SCHEMA_VERSION,
        "name": frontier.method,
        **{constant: None for constant in LAW_CONSTANTS},
        "irreducible_loss_nats": None,
        "optimal_tokens_per_param_at_1e24_flops": float(n_tokens / n_params),
        "n_params_kind": "total",
        "loss_dataset": None,
        "formula": frontier.convention,
        "source": frontier.source,
        "predicts": f"N and D only, no loss law (--method {frontier.method}; the loss comes from --law)",
    }


def _in_gb(bytes_per_second: float | None) -> float | None:
    return None if bytes_per_second is None else bytes_per_second / 1e9


def gpu_record(gpu: Gpu) -> Record:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": gpu.name,
        "peak_flops_per_second": gpu.peak_flops_per_second,
        "peak_fp8_flops_per_second": gpu.peak_fp8_flops_per_second,
        "memory_gib": None if gpu.memory_bytes is None else gpu.memory_bytes / 2**30,
        "power_watts": gpu.power_watts,
        "memory_bandwidth_gb_per_second": _in_gb(gpu.memory_bandwidth_bytes_per_second),
        "link_bandwidth_gb_per_second": _in_gb(gpu.link_bandwidth_bytes_per_second),
        "network_bandwidth_gb_per_second": _in_gb(gpu.network_bandwidth_bytes_per_second),
        "source": gpu.source,
    }
