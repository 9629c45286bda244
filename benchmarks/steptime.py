"""The step-time model (scaling_plan/steptime.py) against published runs, and where its one fitted constant comes from.

    python benchmarks/steptime.py

Prints (1) the A100 matrix-multiply efficiency that reproduces Narayanan et al. 2021's Table 1 (ten Megatron-LM runs
on A100s, 1.7B to 1T parameters, full recomputation; micro-batch 1 and no interleaving taken, the table giving
neither) with the least squared error in achieved TFLOP/s per GPU, beside the value steptime.py holds; and (2) the
predicted MFU of the runs the tests check, Korthikanti et al. 2022's Table 5 and Dubey et al. 2024's Table 4, beside
the published figures, term by term.
"""

from __future__ import annotations

import dataclasses

from scaling_plan import steptime
from scaling_plan.budget import GPUS
from scaling_plan.parallel import Layout
from scaling_plan.shapes import Shape, count

#: Narayanan et al. 2021, Table 1: heads, hidden size, layers, tensor and pipeline parallel size, GPUs, batch size
#: and achieved TFLOP/s per GPU (sequence 2048, vocabulary 51,200).
NARAYANAN_TABLE_1 = [
    (24, 2304, 24, 1, 1, 32, 512, 137), (32, 3072, 30, 2, 1, 64, 512, 138), (32, 4096, 36, 4, 1, 128, 512, 142),
    (48, 6144, 40, 8, 1, 256, 1024, 135), (64, 8192, 48, 8, 2, 512, 1536, 138), (80, 10240, 60, 8, 4, 1024, 1792, 140),
    (96, 12288, 80, 8, 8, 1536, 2304, 148), (128, 16384, 96, 8, 16, 1920, 2160, 155),
    (128, 20480, 105, 8, 35, 2520, 2520, 163), (160, 25600, 128, 8, 64, 3072, 3072, 163),
]  # fmt: skip
#: Korthikanti et al. 2022, Tables 3 and 5: name, heads, hidden, layers, GPUs, batch, pipeline stages, micro-batch,
#: interleaved stages, step seconds, MFU %.
KORTHIKANTI = [
    ("22B", 64, 6144, 48, 8, 4, 1, 4, 1, 1.10, 41.5), ("175B", 96, 12288, 96, 64, 64, 8, 1, 3, 13.75, 51.4),
    ("530B", 128, 20480, 105, 280, 280, 35, 1, 3, 37.83, 56.0), ("1T", 160, 25600, 128, 512, 512, 64, 1, 1, 71.49, 56.3),
]  # fmt: skip
#: Dubey et al. 2024, Table 4: name, TP, CP, PP, DP, sequence, sequences per DP group, MFU %; V = 2 taken.
LLAMA3 = [
    ("405B 8K, 8,192 GPUs", 8, 1, 16, 64, 8192, 32, 43.0), ("405B 8K, 16,384 GPUs", 8, 1, 16, 128, 8192, 16, 41.0),
    ("405B 131K, 16,384 GPUs", 8, 16, 16, 8, 131_072, 16, 38.0),
]  # fmt: skip


def gpt(heads: int, hidden: int, layers: int) -> Shape:
    return Shape(n_layers=layers, d_model=hidden, n_heads=heads, d_ff=4 * hidden, vocab_size=51_200, seq_len=2048,
                 ffn="gelu", style="gpt")  # fmt: skip


def layout(tp: int, pp: int, cp: int, dp: int, micro_batch: int, m: int, recompute: str, flash: bool,
           sharding: str = "none", interleave: int = 1) -> Layout:  # fmt: skip
    return Layout(tp, pp, cp, dp, sharding, recompute, micro_batch, m, flash, 0, 0, 0, 0, 0, 0, 80e9,
                  interleave=interleave)  # fmt: skip


def narayanan_tflops(efficiency: float) -> list[float]:
    a100 = GPUS["A100-SXM"]
    achieved = []
    for heads, hidden, layers, tp, pp, gpus, batch, _ in NARAYANAN_TABLE_1:
        shape, dp = gpt(heads, hidden, layers), gpus // (tp * pp)
        steptime.MATMUL_EFFICIENCY_A100 = efficiency
        step = steptime.predict_step(shape, count(shape), layout(tp, pp, 1, dp, 1, batch // dp, "full", False), a100,
                                     gradient_bytes=4.0)  # fmt: skip
        assert step is not None
        achieved.append(step.hardware_flops / step.step_seconds / gpus / 1e12)
    return achieved


def main() -> None:
    held = steptime.MATMUL_EFFICIENCY_A100
    published = [row[-1] for row in NARAYANAN_TABLE_1]
    grid = [round(0.5 + 0.005 * i, 3) for i in range(81)]
    best = min(grid, key=lambda e: sum((p - q) ** 2 for p, q in zip(narayanan_tflops(e), published, strict=True)))
    print(f"A100 matrix-multiply efficiency fitted to Narayanan et al. 2021 Table 1: {best:.3f} (steptime.py: {held})")
    for row, predicted in zip(NARAYANAN_TABLE_1, narayanan_tflops(best), strict=True):
        print(
            f"  h {row[1]:>6,} t {row[3]} p {row[4]:>2} on {row[5]:>5,} GPUs: {predicted:6.1f} TFLOP/s (published {row[7]})"
        )
    steptime.MATMUL_EFFICIENCY_A100 = held
    print("\nrun                       MFU predicted  published  step s (published)  compute  memory  comm.  bubble")
    rows: list[tuple[str, steptime.StepTime | None, float, float | None]] = []
    for name, heads, hidden, layers, gpus, batch, pp, micro_batch, v, seconds, mfu in KORTHIKANTI:
        shape = gpt(heads, hidden, layers)
        planned = layout(8, pp, 1, gpus // (8 * pp), micro_batch, batch // micro_batch, "selective", False, "none", v)
        rows.append((name, steptime.predict_step(shape, count(shape), planned, GPUS["A100-SXM"]), mfu, seconds))
    for name, tp, cp, pp, dp, seq_len, per_replica, mfu in LLAMA3:
        shape = dataclasses.replace(
            Shape(n_layers=126, d_model=16_384, n_heads=128, d_ff=53_248, vocab_size=128_000, n_kv_heads=8),
            seq_len=seq_len,
        )
        planned = layout(tp, pp, cp, dp, 1, per_replica, "none", True, "zero-2", 2)
        rows.append((name, steptime.predict_step(shape, count(shape), planned, GPUS["H100-SXM"], 8, 4.0), mfu, None))
    for name, step, mfu, seconds in rows:
        assert step is not None
        published_seconds = f"({seconds})" if seconds else ""
        print(
            f"{name:<25} {100 * step.mfu:>13.1f}  {mfu:>9.1f}  {step.step_seconds:>7.2f} {published_seconds:>10}"
            f"  {step.compute_seconds:>7.2f} {step.memory_bound_seconds:>7.2f} {step.communication_seconds:>6.2f}"
            f" {step.bubble_seconds:>7.2f}"
        )


if __name__ == "__main__":
    main()
