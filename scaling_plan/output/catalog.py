"""The one table of output fields: every field a command writes, with its unit, label and meaning.

A field's unit chooses its JSON type and how a table shows it (units.py's formats); its group places it in a record.
The records of the planning commands (budget, sweep, shape, predict, compare) take their fields and order from here,
the output schema its types and descriptions, tables their labels and formats, CSV its columns: adding an output field
is one entry here and the line that computes its value (records.py).
"""

from __future__ import annotations

from .catalog_fit import FIT_FIELDS
from .catalog_fit import Field as Field
from .catalog_fit import Unit as Unit
from .catalog_step import STEP_FIELDS


def _group(name: str, *fields: Field) -> tuple[Field, ...]:
    return tuple(field._replace(group=name) for field in fields)


F = Field

#: `shape --hf-config`: what a released model's config.json says beside its counts.
ARCHITECTURE = _group(
    "architecture",
    F("hf_config", "text", "Config", "the Hugging Face config.json read"),
    F("model_type", "text", "Model type", "its model_type"),
    F("attention", "text", "Attention", "multi-head; grouped-query, with its key/value heads; or latent (multi-head"
      " latent attention), with the rank of its key/value latent and its rotary key's width"),
    F("kv_cache_bytes_per_token", "bytes", "KV cache per token", "bytes of keys and values one token adds to the cache"
      " over all layers, at the cache's precision (bf16 for shape --hf-config; fp8 halves it); a multi-head latent"
      " attention caches its compressed latent and rotary key"),
    F("not_counted", "text", "Not counted", "what the checkpoint holds that the counts leave out (a"
      " multi-token-prediction module); null when nothing", null=True),
)  # fmt: skip
#: What more compute buys along the plan's allocation (returns.py), and with hardware what the next 0.01 nats cost.
MORE_COMPUTE = (
    F("loss_drop_per_10x_nats", "nats", "Loss drop per 10x compute", "the predicted loss at C minus at 10·C, along the"
      " same allocation; null past the allocator's bound", null=True, shown=True),
    F("flops_for_next_0_01_nats", "FLOPs", "Compute for the next 0.01 nats", "the extra compute (6·N·D) that lowers"
      " the loss by 0.01 nats along the same allocation; null where the law's floor E is too near", null=True,
      shown=True),
)  # fmt: skip
MORE_COMPUTE_COST = (
    F("gpu_hours_for_next_0_01_nats", "GPU-hours", "  GPU-hours for the next 0.01 nats", "that extra compute's"
      " GPU-hours, counted as the plan's are", null=True, shown=True),
    F("cost_usd_for_next_0_01_nats", "USD", "  Cost of the next 0.01 nats", "that extra compute's cost", null=True,
      shown=True),
)  # fmt: skip

#: `serve`, and a plan's model served (budget --serve): the replica, the request, memory, times, throughput and costs.
SERVING = _group(
    "serving",
    F("gpus_per_replica", "count", "GPUs per replica", "GPUs holding one copy of the model (tensor parallel)", shown=True),
    F("weights_precision", "text", "Weights", "bf16, fp8, int8 or int4", shown=True),
    F("kv_precision", "text", "KV cache", "bf16 or fp8", shown=True),
    F("prompt_tokens", "count", "Prompt (tokens)", shown=True),
    F("output_tokens", "count", "Output (tokens)", shown=True),
    F("batch", "count", "Batch (sequences)", "sequences decoded together per replica", shown=True),
    F("batch_max", "count", "Largest batch that fits", "sequences of prompt + output tokens whose KV cache fits",
      shown=True),
    F("mbu", "fraction", "MBU", "share of peak HBM bandwidth a decode step achieves", shown=True),
    F("weights_bytes_per_gpu", "bytes", "Weights per GPU", "every parameter at the weights' precision, split over the"
      " replica's GPUs", shown=True),
    F("kv_cache_bytes_per_sequence", "bytes", "KV cache per sequence", "at prompt + output tokens, whole model",
      shown=True),
    F("kv_cache_bytes_per_gpu", "bytes", "KV cache per GPU", "the batch's cache at its full length", shown=True),
    F("activation_bytes_per_gpu", "bytes", "Activations per GPU", "one layer's live tensors while a prompt is"
      " prefilled", shown=True),
    F("memory_bytes_per_gpu", "bytes", "Memory per GPU", "weights + KV cache + activations", shown=True),
    F("usable_bytes_per_gpu", "bytes", "Usable memory per GPU", "the share of the GPU's memory a server takes (vLLM's"
      " default 0.9)", shown=True),
    F("prefill_seconds", "seconds", "Time to first token", "one prompt's prefill, compute-bound: FLOPs / (GPUs x peak"
      " x MFU); queueing not counted", shown=True),
    F("decode_seconds_per_step", "seconds", "Decode step", "one token for each sequence of the batch: the larger of"
      " bytes read / (HBM x MBU) and FLOPs / (peak x MFU), plus tensor-parallel all-reduces", shown=True),
    F("decode_bound", "text", "Decode bound by", "memory or compute", shown=True),
    F("decode_bytes_per_step_per_gpu", "bytes", "Bytes read per step per GPU", "the weights the batch touches and its"
      " KV cache", shown=True),
    F("decode_tokens_per_second", "tokens/s", "Decode tokens/s per sequence", "1 / decode step", shown=True),
    F("roofline_tokens_per_second", "tokens/s", "Roofline tokens/s per sequence", "HBM bandwidth / bytes read per"
      " step: no rate exceeds it", shown=True),
    F("output_tokens_per_second", "tokens/s", "Output tokens/s per replica", "batch x output / request time,"
      " prefills included", shown=True),
    F("output_tokens_per_second_per_gpu", "tokens/s", "Output tokens/s per GPU", shown=True),
    F("requests_per_second", "number", "Requests/s per replica", shown=True),
    F("request_seconds", "seconds", "Request, end to end", "batch x prefill + output x decode step (Little's law,"
      " batch requests in flight)", shown=True),
    F("usd_per_million_input_tokens", "USD/Mtok", "USD per million input tokens", "the replica's price over its"
      " prefill time; null without a price", null=True, shown=True),
    F("usd_per_million_output_tokens", "USD/Mtok", "USD per million output tokens", "the replica's price over its"
      " decode time, shared by the batch; null without a price", null=True, shown=True),
    F("kwh_per_million_output_tokens", "kWh", "kWh per million output tokens", "decode time at the GPUs' rated power"
      " x PUE; null without a rated power", null=True, shown=True),
    F("tokens_per_second", "tokens/s", "Load (output tokens/s)", "the load asked for; null without one", null=True,
      shown=True),
    F("replicas", "count", "Replicas for the load", null=True, shown=True),
    F("gpus_for_load", "count", "GPUs for the load", null=True, shown=True),
)  # fmt: skip


#: Each group in a record's order.
GROUPS: dict[str, tuple[Field, ...]] = {
    "head": _group(
        "head",
        F("schema_version", "count", "Schema version", "output schema version; bumped on renames"),
        F("role", "text", "Role", "'plan', or 'compare' for a --compare-laws row"),
        F("given", "text", "Given", "the kind of budget or inverse target: flops, dollars, gpu_hours, days, ..."),
        F("given_value", "number", "Given value", "the budget or target, in the unit of `given`"),
    ),
    "plan": _group(
        "plan",
        F(
            "compute_flops",
            "FLOPs",
            "Compute (FLOPs)",
            "training compute C = 6·N·D, FLOPs (C = M·D along DeepSeek LLM's frontier), as the laws count it",
            shown=True,
        ),
        F(
            "training_flops",
            "FLOPs",
            "Training FLOPs, full count",
            "the training FLOPs GPU-hours, days and cost count:"
            " a blueprint's full count, else compute_flops; under a dollars, GPU-hours or days budget it never exceeds"
            " the budget",
        ),
        F(
            "tokens_trimmed_pct",
            "%",
            "Tokens trimmed",
            "with a blueprint under a dollars, GPU-hours or days budget: the"
            " % of the allocation's tokens trimmed so that the shape's full count fits the budget (0 when none); null"
            " otherwise",
            null=True,
        ),
        F(
            "n_params",
            "parameters",
            "Parameters N",
            "model parameters N (total, or as the law counts them: n_params_kind)",
            shown=True,
        ),
        F("n_tokens", "tokens", "Training tokens D", "training tokens D", shown=True),
        F("tokens_per_param", "tokens/parameter", "Tokens / parameter", "D / N", shown=True),
        F(
            "loss_nats",
            "nats",
            "Predicted loss (nats/token)",
            "predicted loss, nats/token on the law's dataset",
            shown=True,
        ),
        F("loss_bits", "bits", "Predicted loss (bits/token)", "loss_nats / ln 2", shown=True),
        *MORE_COMPUTE,
        F("method", "text", "Allocation", "how N and D were allocated: a rule, a law's optimum, or a frontier"),
        F(
            "tokens_per_param_rule",
            "tokens/parameter",
            "Tokens/param rule",
            "the rule's tokens per parameter (null for other allocations)",
            null=True,
        ),
        F("law", "text", "Loss law", "the law that predicts the loss"),
        F("law_source", "text", "Law source", "the law's paper (authors, year, table or equation)"),
        F("n_params_kind", "text", "N counts", "total or non-embedding: the parameters the law counts"),
        F("loss_dataset", "text", "Loss measured on", "the data (and tokenizer) the loss is measured on"),
        F("extrapolated", "flag", "Extrapolated", "the budget lies outside the range the law was fitted on"),
    ),
    "hardware": _group(
        "hardware",
        F("gpu", "text", "GPU", "the GPU preset or file", null=True, shown=True),
        F(
            "gpu_peak_flops",
            "FLOP/s",
            "Peak FLOP/s",
            "the dense peak FLOP/s per GPU at the precision planned",
            null=True,
        ),
        F(
            "precision",
            "text",
            "Precision",
            "bf16 or fp8: the number format of the matrix multiplies",
            null=True,
            shown=True,
        ),
        F("mfu", "fraction", "MFU", "model FLOPs utilisation", null=True, shown=True),
        F(
            "mfu_from",
            "text",
            "MFU from",
            "predicted (the blueprint's predicted step's: the default with a blueprint, or --mfu predict), measured"
            " (its measured step's: --calibrate) or assumed (a number given to --mfu, or 0.40 where no step is"
            " predicted); tables say it in the note under them",
            null=True,
        ),
        F("gpus", "count", "GPUs", "GPUs the run trains on", null=True, shown=True),
        F(
            "price_usd_per_gpu_hour",
            "USD/GPU-hour",
            "Price (USD/GPU-hour)",
            "US dollars per GPU-hour",
            null=True,
            shown=True,
        ),
        F(
            "gpu_hours",
            "GPU-hours",
            "GPU-hours",
            "GPU-hours held, restarts included: the count of training FLOPs / (peak x MFU x goodput x 3600)",
            null=True,
            shown=True,
        ),
        F("wall_clock_days", "days", "Wall-clock days", "GPU-hours / (GPUs x 24 h)", null=True, shown=True),
        F("cost_usd", "USD", "Cost (USD)", "GPU-hours x price", null=True, shown=True),
        *MORE_COMPUTE_COST,
    ),
    "energy": _group(
        "energy",
        F("goodput", "fraction", "Goodput", "share of wall-clock time spent training", null=True, shown=True),
        F("pue", "ratio", "PUE", "power usage effectiveness of the facility", null=True),
        F(
            "gpu_power_watts",
            "W",
            "GPU power (W)",
            "the GPU's rated power (TDP); null where none is published",
            null=True,
        ),
        F("grid_gco2_per_kwh", "gCO2e/kWh", "Grid (gCO2e/kWh)", "carbon intensity of the grid", null=True),
        F("energy_mwh", "MWh", "Energy (MWh)", "GPU-hours x goodput x GPU power x PUE / 1e6", null=True, shown=True),
        F(
            "emissions_tco2e",
            "tCO2e",
            "Emissions (tCO2e)",
            "energy_mwh x grid_gco2_per_kwh / 1000",
            null=True,
            shown=True,
        ),
    ),
    "intervals": _group(
        "intervals",
        F("interval_level", "fraction", "Interval level", "the share of bootstrap refits an interval spans"),
        F("n_params_low", "parameters", "N, low", "the interval's low end"),
        F("n_params_high", "parameters", "N, high", "the interval's high end"),
        F("n_tokens_low", "tokens", "D, low", "the interval's low end"),
        F("n_tokens_high", "tokens", "D, high", "the interval's high end"),
        F("loss_nats_low", "nats", "Loss, low", "the interval's low end"),
        F("loss_nats_high", "nats", "Loss, high", "the interval's high end"),
    ),
    "moe": _group(
        "moe",
        F(
            "granularity",
            "count",
            "Granularity G",
            "d_ff / d_expert of a mixture of experts (Krajewski et al. 2024): each token uses G finer experts",
            shown=True,
        ),
        F(
            "n_params_total",
            "parameters",
            "Parameters, every expert",
            "the mixture's total non-embedding parameters, the N of its law",
            shown=True,
        ),
        F("expansion", "number", "Expansion E", "the experts' parameters over a dense FFN's", shown=True),
    ),
    "data": _group(
        "data",
        F(
            "unique_tokens",
            "tokens",
            "Unique tokens U",
            "the unique tokens the data holds (--unique-tokens)",
            shown=True,
        ),
        F("epochs", "epochs", "Epochs over the unique data", "D / U", shown=True),
        F(
            "effective_tokens",
            "tokens",
            "Effective tokens D'",
            "what repeated data is worth (Muennighoff et al. 2023)",
            shown=True,
        ),
        F(
            "effective_params",
            "parameters",
            "Effective parameters N'",
            "what parameters are worth on repeated data (Muennighoff et al. 2023)",
            shown=True,
        ),
        F(
            "unlimited_data_loss_nats",
            "nats",
            "Loss of this N, D with unlimited data",
            "the loss without the cap",
            shown=True,
        ),
        F(
            "data_penalty_nats",
            "nats",
            "Loss penalty of the cap (nats/token)",
            "loss_nats - unlimited_data_loss_nats",
            signed=True,
            shown=True,
        ),
    ),
    "inference": _group(
        "inference",
        F("inference_tokens", "tokens", "Inference tokens", "tokens served over the model's life (--inference-tokens)"),
        F("inference_objective", "text", "Objective", "lifetime_flops or lifetime_cost_usd"),
        F("inference_flops", "FLOPs", "Inference FLOPs", "2·N·D_inf of the plan's model"),
        F("lifetime_flops", "FLOPs", "Lifetime FLOPs", "training and inference FLOPs of the plan's model"),
        F("lifetime_cost_usd", "USD", "Lifetime cost (USD)", "the plan's model over its life", null=True),
        F(
            "inference_aware_n_params",
            "parameters",
            "Inference-aware N",
            "the model with the plan's loss and the least lifetime compute (or cost)",
        ),
        F("inference_aware_n_tokens", "tokens", "Inference-aware D", "its training tokens"),
        F("inference_aware_tokens_per_param", "tokens/parameter", "Inference-aware D/N", "its tokens per parameter"),
        F("inference_aware_loss_nats", "nats", "Inference-aware loss", "its loss: the plan's"),
        F("inference_aware_training_flops", "FLOPs", "Inference-aware training FLOPs", "its 6·N·D"),
        F("inference_aware_inference_flops", "FLOPs", "Inference-aware inference FLOPs", "its 2·N·D_inf"),
        F("inference_aware_lifetime_flops", "FLOPs", "Inference-aware lifetime FLOPs", "its training and inference"),
        F("inference_aware_lifetime_cost_usd", "USD", "Inference-aware lifetime cost", "its lifetime cost", null=True),
        F(
            "inference_aware_training_gpu_hours",
            "GPU-hours",
            "Inference-aware GPU-hours",
            "its training GPU-hours, counted as the plan's are",
            null=True,
        ),
        F("inference_aware_training_days", "days", "Inference-aware training days", "its training days", null=True),
        F("inference_aware_training_cost_usd", "USD", "Inference-aware training cost", "its training cost", null=True),
        F(
            "inference_aware_over_budget_pct",
            "%",
            "Over the budget",
            "how far its training exceeds the plan's budget (null: within it, or no budget)",
            signed=True,
            null=True,
        ),
        F("flops_saved", "FLOPs", "Lifetime FLOPs saved", "lifetime_flops - inference_aware_lifetime_flops"),
        F("flops_saved_pct", "%", "Lifetime FLOPs saved", "as a % of lifetime_flops", signed=True),
        F(
            "cost_saved_usd",
            "USD",
            "Lifetime cost saved",
            "lifetime_cost_usd - inference_aware_lifetime_cost_usd",
            null=True,
        ),
        F("cost_saved_pct", "%", "Lifetime cost saved", "as a % of lifetime_cost_usd", signed=True, null=True),
        F(
            "inference_priced_by",
            "text",
            "Inference priced by",
            "under the cost objective: 'serving' (budget --serve: serving a model of that size, bound by memory"
            " bandwidth when decoding) or 'flops' (2·N per token at the inference MFU); null under the FLOPs objective",
            null=True,
        ),
        F(
            "flop_priced_n_params",
            "parameters",
            "N if priced by FLOPs",
            "priced by serving: the model the FLOP-priced objective would choose instead; null otherwise",
            null=True,
        ),
        F("flop_priced_n_tokens", "tokens", "D if priced by FLOPs", "its training tokens", null=True),
        F(
            "flop_priced_lifetime_cost_usd",
            "USD",
            "Its lifetime cost, as served",
            "its training and serving cost, inference priced by serving",
            null=True,
        ),
    ),
    "blueprint": _group(
        "blueprint",
        F("family", "text", "Family", "the published family the shape follows (--family), or null", shown=True),
        F("n_layers", "count", "Layers", shown=True),
        F("d_model", "count", "d_model", shown=True),
        F("n_heads", "count", "Attention heads", shown=True),
        F("n_kv_heads", "count", "Key/value heads", shown=True),
        F("head_dim", "count", "Head dimension", shown=True),
        F("d_ff", "count", "d_ff (FFN width)", shown=True),
        F("ffn", "text", "FFN kind", "swiglu or gelu", shown=True),
        F("vocab_size", "count", "Vocabulary", shown=True),
        F("seq_len", "count", "Sequence length", shown=True),
        F("tied_embeddings", "flag", "Tied embeddings", shown=True),
        F(
            "style",
            "text",
            "Block style",
            "llama (RMSNorm, no biases, rotary), gpt (LayerNorm, biases, learned positions), neox (gpt's with rotary)"
            " or qwen2 (llama's with query/key/value biases)",
        ),
        F("experts", "count", "Routed experts", shown=True),
        F("active_experts", "count", "Active experts per token", shown=True),
        F("shared_experts", "count", "Shared experts", shown=True),
        F("expert_d_ff", "count", "Expert FFN width"),
        F("params_total", "count", "Parameters (total, exact)", shown=True),
        F("params_active", "count", "Parameters active per token", shown=True),
        F("params_embedding", "count", "Embedding parameters", shown=True),
        F("params_non_embedding", "count", "Non-embedding parameters", shown=True),
        F("params_vs_target_pct", "%", "Shape vs planned N", digits=2, signed=True, shown=True),
        F("flops_per_token_6n", "FLOPs", "FLOPs/token: 6N", shown=True),
        F("flops_per_token_kaplan", "FLOPs", "FLOPs/token: Kaplan 6N + 6·L·ctx·d", shown=True),
        F("flops_per_token_deepseek", "FLOPs", "FLOPs/token: DeepSeek M", shown=True),
        F("flops_per_token_full", "FLOPs", "FLOPs/token: full count", shown=True),
        F("full_to_6n_ratio", "ratio", "Full count / 6N", digits=3, shown=True),
        F("causal_attention", "flag", "Causal attention halved"),
        F("training_flops_full", "FLOPs", "Training FLOPs (full count)", shown=True),
        F("gpu_hours_full", "GPU-hours", "GPU-hours (full count)", shown=True),
        F("wall_clock_days_full", "days", "Training days (full count)", shown=True),
        F("cost_usd_full", "USD", "Cost (full count)", shown=True),
        F("tp", "count", "Tensor parallel (tp)", shown=True),
        F("pp", "count", "Pipeline stages (pp)", shown=True),
        F("cp", "count", "Context parallel (cp)", shown=True),
        F("dp", "count", "Data parallel (dp)", shown=True),
        F(
            "ep",
            "count",
            "Expert parallel (ep)",
            "expert-parallel ranks, within the data-parallel ones, each holding"
            " experts/ep of every expert layer's routed experts; null without routed experts",
            null=True,
            shown=True,
        ),
        F(
            "all_to_all_gib_per_step",
            "GiB",
            "All-to-all per GPU per step (GiB)",
            "expert parallelism's dispatch and"
            " combine traffic one GPU sends per training step, forward and backward (an upper bound: each token sent"
            " once per expert it uses); null without expert parallelism",
            null=True,
            shown=True,
        ),
        F("sharding", "text", "ZeRO sharding (over dp x cp)", shown=True),
        F("recompute", "text", "Activation recomputation", shown=True),
        F("flash_attention", "flag", "FlashAttention-style kernels", shown=True),
        F("dropout", "flag", "Dropout (masks kept)", shown=True),
        F("micro_batch_sequences", "count", "Micro-batch (sequences)", shown=True),
        F("gradient_accumulation_steps", "count", "Accumulation steps", shown=True),
        F(
            "interleaved_stages",
            "count",
            "Interleaved stages per GPU",
            "the pipeline stages each GPU holds (v)",
            shown=True,
        ),
        F("pipeline_bubble_pct", "%", "Pipeline bubble", "(pp - 1)/(m·v) of the ideal step", shown=True),
        F("gpus_per_node", "count", "GPUs per node"),
        F("layouts_searched", "count", "Layouts searched"),
        F("layouts_fitting", "count", "Layouts that fit"),
        F("layout_reason", "text", "Why this layout"),
        F("memory_gpus", "count", "Memory on GPUs", shown=True),
        F("weights_gib_per_gpu", "GiB", "Weights (GiB/GPU)", shown=True),
        F("gradients_gib_per_gpu", "GiB", "Gradients (GiB/GPU)", shown=True),
        F("optimizer_gib_per_gpu", "GiB", "Adam states (GiB/GPU)", shown=True),
        F("activations_gib_per_gpu", "GiB", "Activations (GiB/GPU)", shown=True),
        F("activations_gib_no_recompute", "GiB", "  without recomputation", shown=True),
        F("activations_gib_full_recompute", "GiB", "  with full recomputation", shown=True),
        F(
            "gather_gib_per_gpu",
            "GiB",
            "Gathered weights, ZeRO-3 (GiB/GPU)",
            "under ZeRO-3: two units (blocks, or the vocabulary matrix) gathered whole; null otherwise",
            null=True,
            shown=True,
        ),
        F("memory_gib_per_gpu", "GiB", "Memory per GPU (GiB)", shown=True),
        F("gpu_memory_gib", "GiB", "GPU memory (GiB)", shown=True),
        F("memory_dominant", "text", "Largest part", shown=True),
        F("grad_precision", "text", "Gradients kept in", "bf16 or fp32 (--grad-precision)", shown=True),
        F("optimizer_states", "text", "Adam's states kept in", "fp32 or 8bit (--optimizer-states)", shown=True),
        F(
            "micro_batch_max",
            "count",
            "Largest micro-batch that fits",
            "sequences per GPU per forward pass this layout holds, all else fixed",
            null=True,
            shown=True,
        ),
        F("min_gpus", "count", "Minimum GPUs", shown=True),
        F("lr_peak", "constant", "Peak learning rate", digits=3, shown=True),
        F("batch_tokens_optimal", "tokens", "Batch from the law (tokens)"),
        F("batch_sequences_optimal", "count", "Batch from the law (sequences)", shown=True),
        F("batch_sequences", "count", "Batch, launchable (sequences)", shown=True),
        F("batch_tokens", "count", "Batch (tokens)", shown=True),
        F("train_steps", "count", "Training steps", shown=True),
        *STEP_FIELDS,
        F("hyperparameters_compute_flops", "FLOPs", "Hyperparameters at (FLOPs)"),
        F("hyperparameters_extrapolated", "flag", "Hyperparameters extrapolated"),
        F("hyperparameters_source", "text", "Hyperparameters from"),
    ),
    "architecture": ARCHITECTURE,
    "serving": SERVING,
    "gap": _group(
        "gap",
        F("optimal_n_params", "parameters", "Optimal N at the same compute"),
        F("optimal_n_tokens", "tokens", "Optimal D at the same compute"),
        F("optimal_loss_nats", "nats", "Optimal loss (nats/token)"),
        F("loss_gap_nats", "nats", "Loss gap (nats/token)", signed=True),
        F("loss_gap_pct", "%", "Loss gap", digits=2, signed=True),
        F("same_loss_compute_flops", "FLOPs", "Optimal compute for the same loss"),
        F("compute_overhead_pct", "%", "Compute overhead", signed=True),
    ),
}


#: Fields shown by more than one command, or not in a plan's record. Labels and units only: their records are built
#: by their commands (records.py).
OTHER_FIELDS: tuple[Field, ...] = (
    F("name", "text", "Name"),
    F("formula", "text", "Formula"),
    F("predicts", "text", "Predicts"),
    F("source", "text", "Source"),
    F("config", "text", "Config"),
    F("rule", "text", "Rule"),
    F("status", "text", "Result"),
    F("message", "text", "Why"),
    F("model", "text", "Model"),
    F("split", "text", "Split"),
    F("metric", "text", "Metric"),
    F("form", "text", "Form"),
    F("left_out", "text", "Left out because"),
    F("run", "count", "Run"),
    F("converged", "flag", "Converged"),
    F("optimal_tokens_per_param_at_1e24_flops", "tokens/parameter", "Optimal tokens/param at 1e24"),
    F("peak_flops_per_second", "FLOP/s", "Peak dense BF16 FLOP/s"),
    F("peak_fp8_flops_per_second", "FLOP/s", "Peak dense FP8 FLOP/s"),
    F("memory_gib", "GiB", "Memory (GiB)", digits=1),
    F("power_watts", "W", "Power (W)"),
    F("memory_bandwidth_gb_per_second", "number", "HBM (GB/s)"),
    F("link_bandwidth_gb_per_second", "number", "Link (GB/s)"),
    F("network_bandwidth_gb_per_second", "number", "Network (GB/s)"),
    F("budget_flops", "FLOPs", "Budget (FLOPs)"),
    *FIT_FIELDS,
)


#: Every field by name: one name, one meaning, in every record and command.
FIELDS: dict[str, Field] = {field.name: field for group in GROUPS.values() for field in group} | {
    field.name: field for field in OTHER_FIELDS
}


def names(*groups: str) -> tuple[str, ...]:
    """The fields of these groups, in order."""
    return tuple(field.name for group in groups for field in GROUPS[group])


def table_rows(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Those of `keys` that are rows of their record's table."""
    return tuple(key for key in keys if FIELDS[key].shown)


#: A run (N, D) beside the law's compute-optimal run at its compute: what predict and an intended run show.
GAP_KEYS = (
    "n_params", "n_tokens", "tokens_per_param", "compute_flops", "loss_nats", *names("gap"),
    "gpu_hours", "wall_clock_days", "cost_usd",
)  # fmt: skip
