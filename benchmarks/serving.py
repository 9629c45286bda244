"""`serve` beside llm-analysis on one question: Llama-2-70B on 2 H100-SXM (tensor parallel 2), bf16 weights and KV
cache, a 2,048-token prompt and 256 output tokens, batch 1, 16 and 64, at two settings of the efficiencies.

    python benchmarks/serving.py [--peer-python PATH]

Prints this tool's memory per GPU, time to first token, decode step and tokens/s, and the HBM roofline of each step
(its bytes over the full bandwidth). With --peer-python, an interpreter that has the PyPI package llm-analysis (keep
it out of this project's environment: it pins an old transformers), it prints llm-analysis's answer to the same
question from its bundled Llama-2-70B config (upstage_Llama-2-70b-instruct-v2) beside ours, and the roofline of its
own decode steps. The conventions that part the two are in docs/serving.md and in the closing comment below.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import scaling_plan as sp
from scaling_plan.errors import ScalingPlanError

CONFIG = Path(__file__).resolve().parent.parent / "tests" / "data" / "hf_configs" / "llama-2-70b.json"
BATCHES = (1, 16, 64)
#: (MFU, MBU) as this tool names them; llm-analysis calls them flops_efficiency and hbm_memory_efficiency (its
#: defaults are 1 and 1).
SETTINGS = ((1.0, 1.0), (0.5, 0.8))
GIB = 2**30
H100_HBM = 3.35e12

PEER = """
import json, sys
from llm_analysis.analysis import infer
out = []
for fe, hbm in json.loads(sys.argv[1]):
    for b in json.loads(sys.argv[2]):
        try:
            s = infer(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="h100-sxm-80gb", dtype_name="w16a16e16",
                      tp_size=2, pp_size=1, seq_len=2048, num_tokens_to_generate=256, use_kv_cache=True,
                      batch_size_per_gpu=b, flops_efficiency=fe, hbm_memory_efficiency=hbm, log_level="ERROR")
            out.append([fe, hbm, b, s["weight_memory_per_gpu"], s["kv_cache_memory_per_gpu"],
                        s["prefill_latency"], s["decode_latency"]])
        except AssertionError as error:
            out.append([fe, hbm, b, None, str(error)[:80], None, None])
print(json.dumps(out))
"""


def ours() -> None:
    print("scaling-plan serve: Llama-2-70B (68,976,648,192 parameters), 2 x H100-SXM, bf16, 2,048 + 256 tokens")
    print(f"{'MFU':>4} {'MBU':>4} {'batch':>5} {'mem/GPU GiB':>11} {'TTFT ms':>8} {'step ms':>8} {'tok/s/seq':>9}"
          f" {'roof tok/s':>10} {'tok/s/GPU':>9}")  # fmt: skip
    for mfu, mbu in SETTINGS:
        for batch in BATCHES:
            try:
                s = sp.serve(CONFIG, gpu="H100-SXM", gpus=2, batch=batch, mfu=mfu, mbu=mbu).serving
            except ScalingPlanError as error:
                print(f"{mfu:>4} {mbu:>4} {batch:>5}  refused: {error.message}")
                continue
            assert s.decode_tokens_per_second <= s.roofline_tokens_per_second
            print(
                f"{mfu:>4} {mbu:>4} {batch:>5} {s.memory_bytes_per_gpu / GIB:>11.2f} {s.prefill_seconds * 1e3:>8.1f}"
                f" {s.decode_seconds_per_step * 1e3:>8.2f} {s.decode_tokens_per_second:>9.1f}"
                f" {s.roofline_tokens_per_second:>10.1f} {batch * s.decode_tokens_per_second / 2:>9.1f}"
            )


def peer(python: str) -> None:
    result = subprocess.run(
        [python, "-c", PEER, json.dumps(SETTINGS), json.dumps(BATCHES)], check=True, capture_output=True, text=True
    )
    print("\nllm-analysis (bundled upstage_Llama-2-70b-instruct-v2: 55.3B parameters, see below), same question")
    print(f"{'fe':>4} {'hbm':>4} {'batch':>5} {'w+kv GiB':>9} {'TTFT ms':>8} {'step ms':>8} {'tok/s/seq':>9}"
          f" {'roof tok/s':>10}")  # fmt: skip
    for fe, hbm, batch, weights, kv, prefill, decode in json.loads(result.stdout.splitlines()[-1]):
        if weights is None:
            print(f"{fe:>4} {hbm:>4} {batch:>5}  refused: {kv}")
            continue
        roofline = H100_HBM / (weights + kv)  # a step reads at most its weights and the batch's whole cache per GPU
        assert 1 / decode <= roofline, (fe, hbm, batch)
        print(
            f"{fe:>4} {hbm:>4} {batch:>5} {(weights + kv) / GIB:>9.2f} {prefill * 1e3:>8.1f} {decode * 1e3:>8.2f}"
            f" {1 / decode:>9.1f} {roofline:>10.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", help="an interpreter with llm-analysis installed")
    args = parser.parse_args()
    ours()
    if args.peer_python:
        peer(args.peer_python)


if __name__ == "__main__":
    main()

# Where the two part, each by a stated convention:
# - Parameters. llm-analysis's bundled config has an FFN of 4·d = 32,768 in two matrices and no separate output
#   matrix: 55.3B. Llama-2-70B has a SwiGLU FFN of 28,672 in three matrices and an untied output: 68,976,648,192
#   (Touvron et al. 2023; this tool's count, a test). Its weights per GPU are 51.5 GiB, ours 64.2 GiB.
# - Memory. It fills 80 GiB with no reserve; a server takes 90% (vLLM's gpu_memory_utilization), so batch 64 fits
#   there (73.997 GiB) but not here (at most 20 sequences of 2,304 tokens). With the real parameter count it refuses
#   batch 64 too (at most 45, without the reserve).
# - Time to first token. It prefills the whole batch's prompts at once (static batching: 8.6 s at batch 64); here each
#   prompt is prefilled on its own as it arrives (continuous batching), so time to first token does not grow with
#   the batch. Its MLP FLOPs are 16·d² per token whatever the FFN (24% under Llama's), its attention is not halved
#   for the causal mask, and its all-reduces run at 450 GB/s (one direction of NVLink) with an 8 µs floor each.
# - Decode step. It adds each operator's time (the larger of compute and memory) and the TP all-reduces at 8 µs
#   each (1.28 ms a step), and charges the KV cache twice at its final length; here a step is the larger of all its
#   bytes over bandwidth and all its FLOPs over peak, the cache at its mean length, all-reduces by bandwidth only.
