"""The published laws by name (`--law NAME`), each with its source, and the default."""

from __future__ import annotations

import math

from .laws import KaplanLaw, Law, ParametricLaw
from .moe import MoELaw

PRESETS: dict[str, Law] = {
    # Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt" (Epoch AI), eq. 4 / Table 1:
    # their refit of Hoffmann's Approach 3 on the data recovered from Figure 4.
    "epoch-2024": ParametricLaw(
        name="epoch-2024",
        E=1.8172,
        A=482.01,
        B=2085.43,
        alpha=0.3478,
        beta=0.3658,
        source="Besiroglu et al. 2024, 'Chinchilla Scaling: A replication attempt' (Epoch AI), refit of Approach 3",
    ),
    # Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", Approach 3, eq. 10.
    # Note: its own optimum sits far above 20 tokens/param (see allocate.TOKENS_PER_PARAM_DEFAULT).
    "chinchilla-2022": ParametricLaw(
        name="chinchilla-2022",
        E=1.69,
        A=406.4,
        B=410.7,
        alpha=0.34,
        beta=0.28,
        source="Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models', Approach 3, eq. 10",
    ),
    # The same Approach 3 fit at the precision of the paper's LaTeX source (arXiv 2203.15556; the digits Besiroglu
    # et al. 2024, sec. 2, report from it). Rounding matters: at Chinchilla's 5.76e23 FLOPs the optimum is ~40B
    # parameters here against ~32B with the rounded constants above.
    "chinchilla-2022-unrounded": ParametricLaw(
        name="chinchilla-2022-unrounded",
        E=1.69337368,
        A=406.401018,
        B=410.722827,
        alpha=0.33917084,
        beta=0.2849083,
        source="Hoffmann et al. 2022, Approach 3, eq. 10 at the precision of the paper's LaTeX source"
        " (as reported by Besiroglu et al. 2024)",
    ),
    "kaplan-2020": KaplanLaw(),
    # Muennighoff et al. 2023, "Scaling Data-Constrained Language Models", eq. 7 and the fitted constants published
    # with their code (github.com/huggingface/datablations, README "Parametric Fit"): log A = 6.255414,
    # log B = 7.3049974, log E = 0.6254804, alpha = beta = 0.3526596, R_D* = 15.387756, R_N* = 5.309743.
    "datablations-2023": ParametricLaw(
        name="datablations-2023",
        E=math.exp(0.6254804),
        A=math.exp(6.255414),
        B=math.exp(7.3049974),
        alpha=0.3526596,
        beta=0.3526596,
        rd_star=15.387756,
        rn_star=5.309743,
        source="Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models', eq. 7 (datablations code)",
        dataset="C4 (GPT-2 tokenizer)",
        # Their runs: models up to 9B parameters on up to 900B tokens, budgets up to ~1e22 FLOPs (sec. 1 and Fig. 1).
        compute_range_flops=(1e17, 1e22),
    ),
    # Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts" (arXiv 2402.07871): eq. 9 with the
    # unrounded constants of their code (github.com/llm-random/llm-random, branch scaling_laws_paper, commit
    # 35b4c1e, scaling_laws/), from which their Table 2 was computed; Table 1 rounds them (a 18.1, alpha 0.115, b
    # 30.8, beta 0.147, g 2.1, gamma 0.58, c 0.47). Their runs: 129M to 3.7B total parameters on 16B to 130B tokens
    # of C4 (GPT-2 tokenizer), G from 1 to 16, about 3e17 to 2e19 FLOPs by eq. 10.
    "krajewski-2024-moe": MoELaw(
        name="krajewski-2024-moe",
        E=0.472,
        A=18.0712,
        B=30.8082,
        alpha=0.1146,
        beta=0.1465,
        g=2.0760,
        gamma=0.5843,
        expansion=64.0,
        source="Krajewski et al. 2024, 'Scaling Laws for Fine-Grained Mixture of Experts', eq. 9 and 10 (E = 64;"
        " unrounded constants of their code)",
        dataset="C4 (GPT-2 tokenizer)",
        n_params_kind="active non-embedding",
        compute_range_flops=(3e17, 2e19),
    ),
    # Their dense law of the same form and data (eq. 1, Table 1: a 16.3, alpha 0.126, b 26.7, beta 0.127, c 0.47),
    # N non-embedding, C = 6·N·D.
    "krajewski-2024-dense": ParametricLaw(
        name="krajewski-2024-dense",
        E=0.47,
        A=16.3,
        B=26.7,
        alpha=0.126,
        beta=0.127,
        source="Krajewski et al. 2024, 'Scaling Laws for Fine-Grained Mixture of Experts', eq. 1 and Table 1 (dense)",
        dataset="C4 (GPT-2 tokenizer)",
        n_params_kind="non-embedding",
        compute_range_flops=(3e17, 2e19),
    ),
}

DEFAULT_LAW = "epoch-2024"


def optimal_tokens_per_param(law: Law, compute_flops: float) -> float:
    """D/N of the law's own compute optimum at this compute (`scaling-plan laws` lists it at 1e24 FLOPs)."""
    n_params, n_tokens = law.optimum(compute_flops)
    return float(n_tokens / n_params)


def find_law(name: str) -> Law | None:
    """A preset by name, ignoring case and surrounding spaces (EPOCH-2024 finds epoch-2024)."""
    wanted = name.strip().lower()
    return next((law for key, law in PRESETS.items() if key.lower() == wanted), None)
