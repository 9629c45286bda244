"""Inference-aware allocation: the model that reaches a plan's loss with the least lifetime compute or cost.

Sardana et al. 2024, "Beyond Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws", sec. 2:
for a quality target L and D_inf tokens of inference over the model's life, minimise
    6·N·D_train + 2·N·D_inf    subject to    L(N, D_train) = L
(training 6 FLOPs per parameter per token, inference 2). The loss constraint fixes D_train for each N (the law's
iso-loss curve), so this is a search over N alone. With prices, each term is weighted by its dollars per FLOP
(GPU price / (peak FLOP/s x MFU x 3600)), which can differ a lot: inference often runs at a far lower MFU.

Served (budget --serve): a token of inference is priced by serving a model of that size (serving.py: decoding bound
by memory bandwidth, prefill by compute, at the request's batch and context), not by 2·N FLOPs at an MFU. That cost
is not a smooth function of N (shapes round, batches are whole, a replica takes whole GPUs), so the search is a grid.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .budget import Gpu, Hardware
from .errors import UsageError
from .laws import FLOPS_PER_PARAM_TOKEN, Law, Num
from .search import minimise_in_log

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from .serving import ServeRequest
    from .shapes import Shape

#: Inference FLOPs per parameter per token: a forward pass (Kaplan et al. 2020, sec. 2.1; Sardana et al. 2024 eq. 2).
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0

#: A training run is within its budget up to floating-point rounding of the budget's conversions.
BUDGET_SLACK = 1.0 + 1e-9

#: The search spans this factor below its upper bound in N. The iso-loss curve ends (D -> inf) well inside it: for
#: E + A/N^α + B/D^β at N_min = (A/(L-E))^(1/α), which is (β/(α+β))^(1/α) ~ 0.1 of the compute-optimal N.
SEARCH_SPAN = 1e3


#: Sizes the served search tries across its span, then again between the best one's neighbours.
SERVED_GRID, SERVED_REFINE = 61, 21


@dataclass(frozen=True)
class ServingPrice:
    """Inference priced by serving: a model of N parameters, shaped from `template` as a blueprint shapes it, served
    on `gpu` with `request` (its GPUs per replica searched); a token costs the request's blend of input and output."""

    gpu: Gpu
    request: ServeRequest
    template: Shape

    def usd_per_token(self, n_params: float) -> float:
        """Dollars per token served; inf where no node of `gpu` serves the model."""
        return _served_usd_per_token(self, n_params)


@functools.cache
def _served_usd_per_token(price: ServingPrice, n_params: float) -> float:
    from .architectures import architecture_of_shape
    from .serving import serve
    from .shapes import shape_for_params

    try:
        shape = shape_for_params(n_params, price.template)
        served = serve(architecture_of_shape(shape), price.gpu, replace(price.request, gpus=None))
    except UsageError:
        return math.inf
    prompt, output = price.request.prompt_tokens, price.request.output_tokens
    usd_in, usd_out = served.usd_per_million_input_tokens, served.usd_per_million_output_tokens
    assert usd_in is not None and usd_out is not None  # a serving price has a price per GPU-hour
    return (prompt * usd_in + output * usd_out) / (prompt + output) / 1e6


@dataclass(frozen=True)
class InferenceRequest:
    """How much inference the model will serve, and how its lifetime is counted."""

    tokens: float
    where: str  # the flag or config field, for messages
    objective: str = "flops"  # "flops" (lifetime FLOPs) or "cost" (lifetime dollars; needs both hardware)
    hardware: Hardware | None = None  # inference hardware (its MFU and price), for the cost objective
    served: ServingPrice | None = None  # the cost objective priced by serving, not by FLOPs at an MFU


@dataclass(frozen=True)
class Lifetime:
    """One model over its life: training plus serving."""

    n_params: float
    n_tokens: float
    loss_nats: float
    inference_tokens: float

    @property
    def training_flops(self) -> float:
        return FLOPS_PER_PARAM_TOKEN * self.n_params * self.n_tokens

    @property
    def inference_flops(self) -> float:
        return INFERENCE_FLOPS_PER_PARAM_TOKEN * self.n_params * self.inference_tokens

    @property
    def lifetime_flops(self) -> float:
        return self.training_flops + self.inference_flops

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params


@dataclass(frozen=True)
class InferencePlan:
    """The plan's own model (the quality target) beside the model with the least lifetime compute or cost."""

    request: InferenceRequest
    reference: Lifetime
    chosen: Lifetime
    reference_cost_usd: float | None
    chosen_cost_usd: float | None
    training: Hardware | None = None  # the training hardware, for the chosen model's own days and cost
    count_per_6nd: float = 1.0  # the plan's count of training FLOPs over 6·N·D (a blueprint's full count, say)
    budget_flops: float | None = None  # a hard budget the plan keeps within, under that count
    #: Priced by serving: the model the FLOP-priced objective (2·N per token at the inference MFU) would choose, and
    #: its lifetime cost as served, to show what the serving model changes.
    flop_priced: Lifetime | None = None
    flop_priced_cost_usd: float | None = None

    @property
    def chosen_training_flops(self) -> float:
        """The inference-aware model's training FLOPs under the plan's own count."""
        return self.chosen.training_flops * self.count_per_6nd

    def time_and_cost(self, model: Lifetime) -> tuple[float | None, float | None, float | None]:
        """A model's training GPU-hours, days and cost, counted as the plan's own are; None where unknown."""
        if self.training is None:
            return None, None, None
        return self.training.time_and_cost(model.training_flops * self.count_per_6nd)

    @property
    def over_budget_pct(self) -> float | None:
        """How far the inference-aware model's training exceeds the hard budget, in %; None within it (or none)."""
        if self.budget_flops is None or self.chosen_training_flops <= self.budget_flops * BUDGET_SLACK:
            return None
        return 100.0 * (self.chosen_training_flops / self.budget_flops - 1.0)

    @property
    def flops_saved(self) -> float:
        return self.reference.lifetime_flops - self.chosen.lifetime_flops

    @property
    def flops_saved_pct(self) -> float:
        return 100.0 * self.flops_saved / self.reference.lifetime_flops

    @property
    def cost_saved_usd(self) -> float | None:
        if self.reference_cost_usd is None or self.chosen_cost_usd is None:
            return None
        return self.reference_cost_usd - self.chosen_cost_usd

    @property
    def cost_saved_pct(self) -> float | None:
        saved = self.cost_saved_usd
        return None if saved is None or not self.reference_cost_usd else 100.0 * saved / self.reference_cost_usd


def _usd_per_flop(hardware: Hardware | None) -> float | None:
    if hardware is None or hardware.price_usd_per_gpu_hour is None:
        return None
    return hardware.price_usd_per_gpu_hour / hardware.effective_flops_per_gpu_hour


def lifetime_cost_usd(
    model: Lifetime, training: Hardware | None, inference: Hardware | None, served: ServingPrice | None = None
) -> float | None:
    """Training on `training` plus serving on `inference` (or as `served` prices it), in dollars; None without both
    prices, or where no node serves the model."""
    train_rate, serve_rate = _usd_per_flop(training), _usd_per_flop(inference)
    if train_rate is None or serve_rate is None:
        return None
    if served is not None:
        per_token = served.usd_per_token(model.n_params)
        return None if math.isinf(per_token) else model.training_flops * train_rate + model.inference_tokens * per_token
    return model.training_flops * train_rate + model.inference_flops * serve_rate


def _rates(request: InferenceRequest, training: Hardware | None) -> tuple[float, float]:
    """Weights of training and inference FLOPs in the objective: 1 each, or dollars per FLOP of each."""
    if request.objective != "cost":
        return 1.0, 1.0
    train, serve = _usd_per_flop(training), _usd_per_flop(request.hardware)
    assert train is not None and serve is not None  # inputs.request.build_request checks both prices exist
    return train, serve


def least_lifetime_params(
    law: Law, request: InferenceRequest, training: Hardware | None, reference_n_params: Num, loss_nats: Num
) -> Num:
    """N of the model on the law's iso-loss curve through each reference that minimises the objective (floats, or
    arrays of independent references: a sweep solves all its rows in one call)."""
    import numpy as np

    train_rate, serve_rate = _rates(request, training)
    reference = np.asarray(reference_n_params, dtype=float)
    target = np.asarray(loss_nats, dtype=float)[..., None]
    # The optimum never has more parameters than the law's compute-optimal model for this loss (inference cost only
    # pushes N down), and that model has no more than the law's optimum at the reference's own compute.
    compute = FLOPS_PER_PARAM_TOKEN * reference * np.asarray(law.tokens_for_loss(reference, np.asarray(loss_nats)))
    high = np.maximum(reference, np.asarray(law.optimum(compute)[0])) * 1.01

    def objective(n_params: NDArray[np.float64]) -> NDArray[np.float64]:
        n_tokens = law.tokens_for_loss(n_params, np.broadcast_to(target, n_params.shape))
        return n_params * (
            train_rate * FLOPS_PER_PARAM_TOKEN * n_tokens
            + serve_rate * INFERENCE_FLOPS_PER_PARAM_TOKEN * request.tokens
        )

    found: Num = minimise_in_log(objective, high / SEARCH_SPAN, high)
    return found


def _least_served_params(
    law: Law, request: InferenceRequest, training: Hardware | None, reference_n_params: float, loss_nats: float
) -> float:
    """N on the iso-loss curve with the least training plus served cost: a grid over the span, then between the best
    size's neighbours."""
    import numpy as np

    served, (train_rate, _) = request.served, _rates(request, training)
    assert served is not None
    compute = FLOPS_PER_PARAM_TOKEN * reference_n_params * float(law.tokens_for_loss(reference_n_params, loss_nats))
    high = max(reference_n_params, float(law.optimum(compute)[0])) * 1.01

    def cost(n_params: float) -> float:
        n_tokens = float(law.tokens_for_loss(n_params, loss_nats))
        if not math.isfinite(n_tokens) or n_tokens <= 0:
            return math.inf
        return train_rate * FLOPS_PER_PARAM_TOKEN * n_params * n_tokens + request.tokens * served.usd_per_token(
            n_params
        )

    grid = [float(n) for n in np.geomspace(high / SEARCH_SPAN, high, SERVED_GRID)]
    costs = [cost(n) for n in grid]
    best = int(np.argmin(costs))
    if math.isinf(costs[best]):
        raise UsageError(
            request.where,
            f"no model on the loss curve is served by a node of {served.gpu.name}: price inference by FLOPs"
            " (without --serve) or serve on a larger GPU",
        )
    fine = [float(n) for n in np.geomspace(grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)], SERVED_REFINE)]
    return min(fine, key=cost)


def inference_aware(
    law: Law,
    reference: Lifetime,
    request: InferenceRequest,
    training: Hardware | None,
    reference_is_law_optimum: bool,
    n_params: float | None = None,
    count_per_6nd: float = 1.0,
    budget_flops: float | None = None,
) -> InferencePlan:
    """The plan's model beside the one on the law's iso-loss curve that minimises the objective (its N already
    found, when a sweep solved all rows at once), its training counted as the plan's (`count_per_6nd` times its
    6·N·D) beside the plan's hard budget, if any.

    With no inference tokens the FLOPs objective reduces to training compute alone: the reference itself when it is
    the law's own optimum (returned exactly), else the law's compute-optimal model for that loss.
    """
    if request.tokens == 0 and reference_is_law_optimum and request.objective == "flops":
        chosen = reference
    else:
        if n_params is None and request.served is not None and request.objective == "cost":
            n_params = _least_served_params(law, request, training, reference.n_params, reference.loss_nats)
        elif n_params is None:
            n_params = float(least_lifetime_params(law, request, training, reference.n_params, reference.loss_nats))
        n_tokens = float(law.tokens_for_loss(n_params, reference.loss_nats))
        chosen = Lifetime(n_params, n_tokens, float(law.loss(n_params, n_tokens)), request.tokens)
    serving = request.hardware if request.hardware is not None else training
    served = request.served if request.objective == "cost" else None
    flop_priced, flop_priced_cost = None, None
    if served is not None:  # what pricing a token by its FLOPs would have chosen instead
        flop_n = float(least_lifetime_params(law, replace(request, served=None), training, reference.n_params,
                                             reference.loss_nats))  # fmt: skip
        flop_d = float(law.tokens_for_loss(flop_n, reference.loss_nats))
        flop_priced = Lifetime(flop_n, flop_d, float(law.loss(flop_n, flop_d)), request.tokens)
        flop_priced_cost = lifetime_cost_usd(flop_priced, training, serving, served)
    return InferencePlan(
        request,
        reference,
        chosen,
        lifetime_cost_usd(reference, training, serving, served),
        lifetime_cost_usd(chosen, training, serving, served),
        training,
        count_per_6nd,
        budget_flops,
        flop_priced,
        flop_priced_cost,
    )
