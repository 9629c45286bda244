"""Views of the planning commands (budget, predict, shape, sweep): their tables, notes and formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from ..budget import Hardware
from ..data_constrained import unconstrained
from ..laws import Law
from ..moe import MoELaw
from ..units import format_budget, format_count, format_scientific
from .catalog import FIELDS, GAP_KEYS, names, table_rows
from .fields import downstream_cell, humanise
from .records import SCHEMA_VERSION, Record, energy_fields, gap_record, plan_record, shape_record
from .tables import print_key_values, print_rows
from .writers import Report, write_report

if TYPE_CHECKING:
    from ..allocate import Allocator
    from ..blueprint import Blueprint
    from ..gap import Gap
    from ..inference import InferencePlan
    from ..plans import Plan


#: A plan's table: the rows its fields are shown in (catalog.py), in their order.
PLAN_ROWS = table_rows(names("plan", "hardware", "energy"))


COMPARE_KEYS = (
    "method", "law", "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats",
    "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip


def plan_title(plan: Plan) -> str:
    """What the table answers; an inverse target's answer depends on the allocation, so its title names it."""
    kind, value = plan.request.given, plan.request.given_value
    if kind in ("flops", "dollars", "gpu_hours", "days"):
        return f"Plan for {format_budget(kind, value)}"
    from ..allocate import LawOptimum

    allocator = plan.request.allocator
    by = allocation_phrase(allocator)
    # Only the law's own optimum reaches a loss with the least compute; a rule or frontier reaches it along its path.
    least = "Least compute" if isinstance(allocator, LawOptimum) else "Compute"
    return {
        "params": f"Compute that makes a {format_count(value)}-parameter model optimal {by}",
        "tokens": f"Compute that makes {format_count(value)} training tokens optimal {by}",
        "loss": f"{least} that reaches loss {value:g} nats/token {by}",
    }[kind]


def allocation_phrase(allocator: Allocator) -> str:
    """The allocation in a few words, for a title: 'at 20 tokens/param', "at epoch-2024's optimum"."""
    from ..allocate import LawOptimum, TokensPerParamRule

    if isinstance(allocator, TokensPerParamRule):
        return f"at {allocator.tokens_per_param:g} tokens/param"
    if isinstance(allocator, LawOptimum):
        return f"at {allocator.law.name}'s optimum"
    return f"along the {allocator.method} frontier"


def mixed_datasets_note(datasets: Sequence[str]) -> str:
    return (
        f"Losses are on {len(datasets)} datasets ({'; '.join(datasets)}): compare a loss only with losses on the"
        " same data."
    )


def dataset_name(dataset: str) -> str:
    """A dataset's short name for a column heading: 'WebText2 (GPT-2 tokenizer)' is WebText2."""
    name = dataset.split(" (")[0]
    return name if len(name) <= DATASET_NAME_CHARS else "other data"


#: The longest dataset name put in a heading; a longer one (a user's law file) is "other data" there.
DATASET_NAME_CHARS = 16


def plan_notes(plan: Plan, one_plan: bool = True) -> list[str]:
    """The formulas and sources behind a plan's numbers, printed under its table; with one_plan False, behind every
    row of a sweep that `plan` is one row of (nothing said of its numbers alone)."""
    from ..allocate import LawOptimum, TokensPerParamRule

    request = plan.request
    law, hardware = request.law, request.hardware
    notes = [
        f"Allocation: {request.allocator.description}.",
        f"Loss: {law.name}, {law.formula} ({law.source}); nats/token on {law.dataset}.",
        f"Compute: {law.flops_convention}."
        if isinstance(law, MoELaw) and isinstance(request.allocator, (LawOptimum, TokensPerParamRule))
        else "Compute: C = 6·N·D training FLOPs (forward 2·N·D + backward 4·N·D).",
    ]
    if plan.returns is not None:
        notes.append(
            "More compute, along the same allocation: loss drop per 10x = L(C) - L(10·C); the next 0.01 nats takes"
            " C' - C more, where L(C') = L(C) - 0.01"
            + (
                "."
                if plan.returns.flops_for_next_step is not None or not one_plan
                else f"; no compute reaches it here, the law's floor {law.irreducible_loss:.4f} being too near."
            )
        )
    if plan.blueprint is not None and not one_plan:
        notes.append(
            "Full count: each row's blueprint's training FLOPs, every matrix multiply, attention and the logits"
            " (its Full FLOPs column); GPU-hours, days and cost count it"
            + (
                ". Each budget buys its FLOPs, and each row's N and D are allocated at the C whose full count fills it"
                " (see budget for one row's details)."
                if plan.budget_flops is not None
                else "; each budget is C."
            )
        )
    if plan.blueprint is not None and one_plan:
        counted = (
            f"Full count: the blueprint's training FLOPs, every matrix multiply, attention and the logits"
            f" ({format_scientific(plan.training_flops)}, {plan.training_flops / plan.compute_flops:.3f} x C);"
            " GPU-hours, days and cost count it"
        )
        budget = format_budget(request.given, request.given_value)
        if plan.budget_flops is not None:
            from ..plans import FILL_SHARE

            fill = plan.training_flops / plan.budget_flops
            counted += (
                f". The {budget} budget buys {format_scientific(plan.budget_flops)} FLOPs: N and D are allocated at"
                f" the C = {format_scientific(plan.compute_flops)} whose full count fills it"
            )
            if plan.tokens_trimmed_pct:
                counted += (
                    f", D trimmed {plan.tokens_trimmed_pct:.2g}% below the allocation's for this N (the shape's full count"
                    " steps over the budget's edge; the next smaller shape would leave more of it unspent)"
                )
            elif fill < FILL_SHARE:
                counted += f" as far as the shapes allow: {fill:.1%} of it (the next larger shape would exceed it)"
        elif request.given == "flops":
            counted += f"; the {budget} budget is C"
        notes.append(counted + ".")
    if law.n_params_kind != "total":
        notes.append(f"N counts {law.n_params_kind} parameters under {law.name}.")
    if plan.intervals is not None:
        samples = len(getattr(unconstrained(law), "samples", ()))  # a capped law's refits are its base law's
        tail = 100 * (1 - plan.intervals.level) / 2
        notes.append(
            f"Intervals: {plan.intervals.level:.0%} of {law.name}'s {samples} bootstrap refits"
            f" ({tail:g}th to {100 - tail:g}th percentile)."
        )
    return (
        notes
        + hardware_notes(hardware, "C" if plan.blueprint is None else "the full count")
        + downstream_notes(plan, one_plan)
    )


def hardware_notes(hardware: Hardware | None, flops: str = "C") -> list[str]:
    """How GPU-hours, wall-clock time, cost and energy follow from a run's count of training FLOPs (named `flops`)
    on this hardware."""
    if hardware is None:
        return []
    notes = [hardware.formula(flops) + "."]
    if hardware.n_gpus is not None:
        notes.append(f"Wall-clock days = GPU-hours / ({hardware.n_gpus:,} GPUs x 24 h).")
    if hardware.price_usd_per_gpu_hour is not None:
        notes.append(f"Cost = GPU-hours x ${hardware.price_usd_per_gpu_hour:,.2f} per GPU-hour.")
    if hardware.energy_formula is not None:
        notes.append(hardware.energy_formula + ".")
    return notes


#: Under a unique-token cap, shown after the loss; under a mixture-of-experts law, its granularity and size before.
DATA_KEYS = names("data")
MOE_KEYS = names("moe")


INFERENCE_KEYS = (
    "model", "n_params", "n_tokens", "tokens_per_param", "loss_nats", "training_flops", "wall_clock_days", "cost_usd",
    "over_budget_pct", "inference_flops", "lifetime_flops", "lifetime_cost_usd", "flops_saved_pct", "cost_saved_pct",
)  # fmt: skip


#: Inference rows' training time and cost are the model's training alone, not its life's.
INFERENCE_LABELS = {
    "training_flops": "Training FLOPs, 6·N·D",
    "wall_clock_days": "Training days",
    "cost_usd": "Training cost (USD)",
}


def print_inference(inference: InferencePlan, out: IO[str]) -> None:
    """The plan's model and the inference-aware model side by side: their training (time and cost counted as the
    plan's are, against its budget) and their lifetimes, with what the latter saves."""
    rows = []
    models = [
        ("compute-optimal (the plan)", inference.reference, inference.reference_cost_usd, (None, None, None)),
        ("inference-aware", inference.chosen, inference.chosen_cost_usd,
         (inference.over_budget_pct, inference.flops_saved_pct, inference.cost_saved_pct)),
    ]  # fmt: skip
    flop_priced, flop_cost = inference.flop_priced, inference.flop_priced_cost_usd
    if flop_priced is not None:
        reference_cost = inference.reference_cost_usd
        saved_pct = None if flop_cost is None or not reference_cost else 100.0 * (1.0 - flop_cost / reference_cost)
        flops_pct = 100.0 * (1.0 - flop_priced.lifetime_flops / inference.reference.lifetime_flops)
        models.append(("if priced by FLOPs", flop_priced, flop_cost, (None, flops_pct, saved_pct)))
    for name, model, cost, saved in models:
        _, days, training_cost = inference.time_and_cost(model)
        rows.append(
            {
                "model": name, "n_params": model.n_params, "n_tokens": model.n_tokens,
                "tokens_per_param": model.tokens_per_param, "loss_nats": model.loss_nats,
                "training_flops": model.training_flops, "wall_clock_days": days, "cost_usd": training_cost,
                "over_budget_pct": saved[0], "inference_flops": model.inference_flops,
                "lifetime_flops": model.lifetime_flops, "lifetime_cost_usd": cost,
                "flops_saved_pct": saved[1], "cost_saved_pct": saved[2],
            }
        )  # fmt: skip
    objective = "lifetime cost" if inference.request.objective == "cost" else "lifetime FLOPs"
    notes = [
        f"Objective: least {objective} at the plan's loss; training 6·N·D, inference 2·N·D_inf FLOPs"
        " (Sardana et al. 2024, sec. 2).",
    ]
    served = inference.request.served
    if served is not None and inference.request.objective == "cost":
        per_million = served.usd_per_token(inference.reference.n_params) * 1e6
        notes.append(
            f"Inference priced by serving on {served.gpu.name} ({served.request.prompt_tokens:,}-token prompts,"
            f" {served.request.output_tokens:,} out, the serve table's settings): ${per_million:.3g} per million"
            " tokens for the plan's model, not 2·N FLOPs at an MFU. 'If priced by FLOPs': the model that pricing would"
            " choose, its lifetime cost as served."
        )
    if inference.count_per_6nd != 1.0:
        notes.append(
            f"Training days and cost count {inference.count_per_6nd:.3f} x 6·N·D, as the plan's own are counted."
        )
    title = (
        f"Serving {format_count(inference.request.tokens)} inference tokens: the same loss for the least {objective}"
    )
    print_rows(title, rows, INFERENCE_KEYS, notes, out, INFERENCE_LABELS)


def gap_notes(law: Law) -> list[str]:
    return [
        f"Gap: against {law.name}'s own compute-optimal run at the run's compute"
        + (" by its eq. 10 (the router's FLOPs too)." if isinstance(law, MoELaw) else " C = 6·N·D."),
        "Compute overhead = run compute / least compute at which that optimum reaches the same loss - 1.",
    ]


PREDICTION_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats", *DATA_KEYS,
    "optimal_n_params", "optimal_n_tokens", "optimal_loss_nats", "loss_gap_nats", "loss_gap_pct",
    "same_loss_compute_flops", "compute_overhead_pct", "gpu_hours", "wall_clock_days", "cost_usd",
    "energy_mwh", "emissions_tco2e",
)  # fmt: skip


def prediction_record(gap: Gap, law: Law, hardware: Hardware | None) -> Record:
    """One run's loss under a named law, its gap to the law's optimum at its compute, and what it takes."""
    head = {
        "schema_version": SCHEMA_VERSION, "law": law.name, "law_source": law.source,
        "n_params_kind": law.n_params_kind, "loss_dataset": law.dataset,
    }  # fmt: skip
    return head | gap_record(gap) | energy_fields(hardware, gap.gpu_hours)


def prediction_notes(law: Law, hardware: Hardware | None) -> list[str]:
    loss = f"Loss: {law.name}, {law.formula} ({law.source}); nats/token on {law.dataset}."
    return [loss, *gap_notes(law), *hardware_notes(hardware)]


def emit_prediction(gap: Gap, law: Law, hardware: Hardware | None, output_format: str, out: IO[str]) -> None:
    """`predict`: one run's loss under a named law, its gap to the law's optimum at the same compute, and with
    hardware what the run takes: GPU-hours, time, cost, energy and emissions, as a plan's."""
    record = prediction_record(gap, law, hardware)

    def table(out: IO[str]) -> None:
        title = f"Predicted loss of {format_count(gap.n_params)} parameters on {format_count(gap.n_tokens)} tokens"
        print_key_values(title, record, PREDICTION_KEYS, prediction_notes(law, hardware), out)

    write_report(Report([record], record, table), output_format, out)


#: A blueprint's table, in reading order: shape, counts, FLOPs per token, the run, memory, hyperparameters.
BLUEPRINT_KEYS = table_rows(names("blueprint"))


_MOE_KEYS = ("experts", "active_experts", "shared_experts", "params_active")


#: How memory is counted: shown only when there is a GPU to count it on.
_MEMORY_SETTINGS = (
    "tp", "pp", "cp", "dp", "ep", "all_to_all_gib_per_step", "sharding", "recompute", "flash_attention", "dropout",
    "micro_batch_sequences", "gradient_accumulation_steps", "interleaved_stages", "pipeline_bubble_pct",
)  # fmt: skip


def blueprint_notes(blueprint: Blueprint, others: Sequence[Blueprint] = ()) -> list[str]:
    """How each number of a blueprint is counted, with sources; for a sweep's rows, of `blueprint` and `others`."""
    from ..shapes import FAMILIES

    shape = blueprint.shape
    family = FAMILIES[blueprint.request.family] if blueprint.request.family else None
    attention = "halved for causal masking" if blueprint.counts.causal_attention else "not halved for causal masking"
    notes = [
        f"Shape: {shape.style} blocks ({shape.block_style.says}"
        + ("" if blueprint.request.explicit else "; d_model/layers near 128, widths multiples of 128")
        + ")"
        + "".join(f"; {part}" for part in shape.parts())
        + "."
        + (f" Left out: {'; '.join(blueprint.request.left_out)}." if blueprint.request.left_out else "")
        + (f" Family {family.name}: {family.source}." if family else ""),
        "FLOPs/token (training): 6N on all parameters used per token; Kaplan et al. 2020 6N + 6·L·ctx·d_attn"
        " (N non-embedding); DeepSeek LLM 2024 M = 6 x block matmul weights + 12·L·d_attn·seq (their"
        " 72·L·d² + 12·L·d·seq); full = Hoffmann et al. 2022 appendix F, every matmul, softmax, embeddings and"
        f" logits, backward 2 x forward, attention scores {attention}.",
    ]
    if blueprint.gpu_hours_full is not None:
        notes.append("Training time and cost use the full count x training tokens.")
    if blueprint.step is not None:
        from ..utilisation import SOURCE

        notes.append(
            f"Measured step: MFU and HFU are the model FLOPs (eq. 7) and the hardware FLOPs with the recomputation"
            f" done (eq. 8 for selective) of a step of {blueprint.hyper.batch_sequences:,} sequences, over the step"
            f" time x GPUs x peak ({SOURCE}); attention scores not halved for causal masking, as eq. 7 counts them."
            " The times 'at the measured step' are training steps x that step."
        )
    predicted = blueprint.predicted
    if predicted is not None:
        notes.append(
            f"Predicted step: matrix multiplies at {100 * predicted.matmul_efficiency:.1f}% of the peak (their size"
            " per GPU sets it), attention, memory-bound kernels over HBM, exposed tensor-, pipeline-, data-,"
            " context- and expert-parallel traffic over NVLink and the network, and the pipeline bubble"
            " (docs/blueprints.md, 'A"
            " predicted step'). The plan's GPU-hours, days and cost follow this step unless --mfu gives a number."
        )
    if blueprint.unpredicted is not None:
        notes.append(
            f"No predicted step: {blueprint.unpredicted} (scaling-plan gpus lists the presets'; a hardware file may"
            " give memory_bandwidth_gb_per_second, link_bandwidth_gb_per_second and network_bandwidth_gb_per_second)."
        )
    choice = blueprint.layout
    if choice is not None:
        layout = choice.layout
        layouts = {other.layout.layout.phrase for other in others if other.layout is not None}
        if layouts - {layout.phrase}:
            from ..parallel import RANKING

            notes.append(
                f"Layouts: each row's tp, pp, cp and dp on {layout.n_gpus:,} GPUs are in its columns ({len(layouts)}"
                f" layouts in all); each is, of the layouts that fit its model, the one with {RANKING}."
            )
        else:
            every = "every row: " if others else ""
            notes.append(f"Layout: {every}{layout.phrase} on {layout.n_gpus:,} GPUs; {choice.reason}.")
        from ..parallel import OPTIMIZER_BYTES  # here: parallel.py is not needed to print a plan without a layout

        fixed = blueprint.request.layout
        fp32_grads, states = fixed.grad_precision == "fp32", fixed.optimizer_states
        optimizer = (
            "FP32 master weights, momentum and variance"
            if states == "fp32"
            else "FP32 master weights, 8-bit momentum and variance with a scale per 2,048 (Dettmers et al. 2022)"
        )
        held = (
            f"BF16 weights, FP32 gradients as Megatron-LM and DeepSpeed keep them; {optimizer}"
            if fp32_grads
            else f"BF16 weights and gradients; {optimizer}; Rajbhandari et al. 2020; --grad-precision fp32 for"
            " Megatron-LM's 18"
        )
        notes.append(
            f"Memory per GPU: mixed-precision Adam, 2 + {4 if fp32_grads else 2} + {OPTIMIZER_BYTES[states]:.4g} bytes"
            f" per parameter the GPU's pipeline stage and tensor rank hold ({held})"
            + ", the ZeRO stage dividing them over dp x cp"
            + (
                f"; each GPU holds {blueprint.shape.experts // layout.ep:,} of the {blueprint.shape.experts:,} routed"
                f" experts of a layer (ep {layout.ep}, within dp; their ZeRO shards over dp x cp / ep)"
                if layout.ep > 1
                else ""
            )
            + (
                "; ZeRO-3 holds two units (blocks, or the vocabulary matrix) gathered whole"
                if layout.gather_bytes
                else ""
            )
            + "; activations per Korthikanti et"
            " al. 2022 with sequence parallelism under tp, the first stage holding min(pp, accumulation steps)"
            " micro-batches (1F1B)"
            + (
                "; blocks with dropout keep its masks (s·b·h·(34 + 5·a·s/h) bytes per layer for their GPT block)"
                if blueprint.dropout
                else "; blocks without dropout keep no dropout masks (s·b·h·(32 + 2·a·s/h) bytes per layer for their"
                " GPT block, not 34 + 5·a·s/h)"
            )
            + ("; FlashAttention-style kernels keep no score tensor" if layout.flash_attention else "")
            + ". Pipeline bubble = (pp - 1) / (accumulation steps x interleaved stages) (Narayanan et al. 2021);"
            " the plan's time at"
            " --mfu is not lowered by the bubble or recomputation (the predicted step is)."
            + (
                " All-to-all per step: 4 exchanges per expert layer per micro-batch (dispatch and combine, forward"
                " and backward; GShard, Lepikhin et al. 2021; 6 under full recomputation), each the GPU's tokens x"
                " experts a token uses x d_model x 2 bytes x (ep - 1)/ep: an upper bound."
                if layout.ep > 1
                else ""
            )
        )
    notes.append(
        "Learning rate and batch: DeepSeek LLM 2024 eq. 1, eta = 0.3118·C^-0.125, B = 0.2920·C^0.3271 tokens,"
        " at C = M·D, batch rounded to whole sequences"
        + (", then to dp x micro-batch x accumulation steps (launchable)." if choice is not None else ".")
    )
    return notes


#: A blueprint's run under its full count, which the plan's own table shows when the blueprint is a plan's.
_RUN_FULL_KEYS = ("training_flops_full", "gpu_hours_full", "wall_clock_days_full", "cost_usd_full")


def print_blueprint(record: Record, blueprint: Blueprint, out: IO[str], context: str | None = None) -> None:
    """A blueprint's table: a plan's (`context` None), or one on its own (`shape`), said in the title."""
    shown = dict(record)
    hidden = (_MOE_KEYS if not blueprint.shape.experts else ()) + (_MEMORY_SETTINGS if blueprint.layout is None else ())
    hidden += _RUN_FULL_KEYS if context is None else ()
    for key in hidden:
        shown[key] = None
    shape = blueprint.shape
    source = blueprint.request.source
    kind = (
        f"from {source}" if source else "your shape" if blueprint.request.explicit else context or "sized to the plan"
    )
    title = (
        f"Blueprint: {shape.n_layers} layer{'s' if shape.n_layers != 1 else ''} x d_model {shape.d_model:,} ({kind})"
    )
    print_key_values(title, shown, BLUEPRINT_KEYS, blueprint_notes(blueprint), out)


def emit_shape(blueprint: Blueprint, hardware: Hardware | None, output_format: str, out: IO[str]) -> None:
    record = shape_record(blueprint, hardware)

    def table(out: IO[str]) -> None:
        print_blueprint(record, blueprint, out, f"on {format_count(blueprint.n_tokens)} tokens")

    write_report(Report([record], record, table), output_format, out)


def downstream_keys(plan: Plan, shown: Record) -> list[str]:
    """The rows of each predicted metric, after the loss: its value, marked where it is held at a bound, and its
    interval (written into `shown`)."""
    keys = []
    for prediction in plan.downstream:
        key = f"downstream_{prediction.mapping.name}"
        shown[key] = downstream_cell(shown, key)
        keys.append(key)
        if prediction.interval is not None:
            low, high = prediction.interval
            shown[f"{key}_interval"] = f"{low:.4f} - {high:.4f}"
            keys.append(f"{key}_interval")
    return keys


def downstream_notes(plan: Plan, one_plan: bool = True) -> list[str]:
    """Where each predicted metric comes from, what its interval spans, and whether it is held at a bound; with
    one_plan False, for every row of a sweep (what a row's loss makes of it left to the rows and the warnings)."""
    from ..downstream import bound_value, clamped_interval

    notes = []
    for prediction in plan.downstream:
        mapping = prediction.mapping
        spans = [f"{len(mapping.samples):,} refits of the mapping"] if mapping.samples else []
        spans += [f"the law's {prediction.n_loss_samples:,} refits"] if prediction.n_loss_samples else []
        shown = prediction.interval is not None or not one_plan
        interval = f"; interval over {' and '.join(spans)}" if spans and shown else ""
        extrapolated = (
            " Its loss is outside the mapping's: an extrapolation." if prediction.extrapolated and one_plan else ""
        )
        clamped = (
            f" At the {prediction.clamped} ({bound_value(prediction):g}): the form reaches it at this loss and the"
            f" metric is held there, a bound rather than a prediction; {clamped_interval(prediction)}."
            if prediction.clamped is not None and one_plan
            else ""
        )
        notes.append(
            f"{mapping.name}: {mapping.metric} predicted from the loss, {mapping.form} form ({mapping.source}){interval}."
            + extrapolated
            + clamped
        )
    return notes


def budget_document(plan: Plan, compared: Sequence[Plan] | None) -> Record:
    """`budget`'s JSON: the plan's record, and with --compare-laws a record per allocation compared."""
    moe = any(each.granularity is not None for each in (plan, *(compared or ())))  # then every row has its columns
    document = plan_record(plan, moe=moe)
    if compared is not None:
        document["compare_laws"] = [plan_record(other, "compare", moe) for other in compared]
    return document


def emit_budget(plan: Plan, compared: Sequence[Plan] | None, output_format: str, out: IO[str]) -> None:
    document = budget_document(plan, compared)
    record = {key: value for key, value in document.items() if key != "compare_laws"}
    compare_records: list[Record] = document.get("compare_laws", [])

    def table(out: IO[str]) -> None:
        shown = dict(record)
        keys = [key for key in PLAN_ROWS if key != "goodput" or record["goodput"] not in (None, 1.0)]
        if plan.blueprint is not None:
            keys.insert(keys.index("compute_flops") + 1, "training_flops")
        if plan.intervals is not None:
            for key in ("n_params", "n_tokens", "loss_nats"):
                interval_key = f"{key}_interval"
                shown[interval_key] = f"{humanise(key, record[key + '_low'])} - {humanise(key, record[key + '_high'])}"
                keys.insert(keys.index(key) + 1, interval_key)
        # what the loss makes of the data and the metrics, after the loss's rows
        after = 1 + max(i for i, key in enumerate(keys) if key in FIELDS and FIELDS[key].unit in ("nats", "bits"))
        keys[after:after] = [*downstream_keys(plan, shown), *(DATA_KEYS if plan.data is not None else ())]
        if plan.granularity is not None:  # a mixture's size and granularity, after its active parameters
            at = keys.index("n_params") + 1 + int(plan.intervals is not None)
            keys[at:at] = MOE_KEYS
        print_key_values(plan_title(plan), shown, keys, plan_notes(plan), out)
        if plan.inference is not None:
            print_inference(plan.inference, out)
        if plan.blueprint is not None:
            print_blueprint(record, plan.blueprint, out)
        if plan.serving is not None:
            from .models import print_plan_serving

            print_plan_serving(record, plan.serving, out)
        if plan.run is not None:
            title = "Intended run against compute-optimal at the same compute"
            print_key_values(title, gap_record(plan.run), GAP_KEYS, gap_notes(plan.request.law), out)
        if compared is not None:
            notes = [
                "Each law row predicts loss with its own law; the rule and published-frontier rows with the plan's law."
            ]
            keys = list(COMPARE_KEYS)
            if plan.granularity is not None:  # a mixture's plan: dense beside mixtures, sizes and granularity
                keys[keys.index("n_params") + 1 : keys.index("n_params") + 1] = ["n_params_total", "granularity"]
                notes.append(
                    "N is the parameters a token uses; a mixture's row gives its total parameters and granularity"
                    " too (a dense row's are N and none)."
                )
            if plan.blueprint is not None and plan.blueprint.layout is not None:
                keys += ["memory_gib_per_gpu", "min_gpus"]
                notes.append(
                    "Each row's memory is its own blueprint's, on the GPUs given or else the fewest its layout fits (Min GPUs)."
                )
            datasets = list(dict.fromkeys(str(row["loss_dataset"]) for row in compare_records))
            rows = compare_records
            if len(datasets) > 1:
                keys.insert(keys.index("loss_nats") + 1, "loss_dataset")
                notes.append(mixed_datasets_note(datasets))
                rows = [row | {"loss_dataset": dataset_name(str(row["loss_dataset"]))} for row in rows]
            print_rows("The same question under each allocation", rows, keys, notes, out)

    write_report(Report([record, *compare_records], document, table), output_format, out)
