"""scaling-plan: compute-optimal planning for language-model training.

The command line is `scaling-plan`; from Python, the same questions are functions (see api.py):

    >>> import scaling_plan as sp
    >>> sp.plan(flops=1e24).tokens_per_param
    20.0

The domain is importable on its own too: laws, allocators, budgets and plans are plain functions and dataclasses.
"""

# typing.TYPE_CHECKING without importing typing, which the console script would wait for before it answers Ctrl-C
# (console.py); type checkers take any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import (
        CompareResult,
        Config,
        Fields,
        FittedFrontier,
        FittedKaplan,
        FittedLaw,
        FittedMapping,
        FittedMoE,
        Options,
        PlanResult,
        Quantity,
        SuggestResult,
        SweepResult,
        compare,
        fit,
        fit_downstream,
        law,
        load_config,
        plan,
        suggest,
        sweep,
    )
    from .api_models import ArchitectureResult, ServeOptions, ServeResult, architecture, serve
    from .errors import ScalingPlanError

__version__ = "0.1.0"

__all__ = [
    "ArchitectureResult",
    "CompareResult",
    "Config",
    "Fields",
    "FittedFrontier",
    "FittedKaplan",
    "FittedLaw",
    "FittedMapping",
    "FittedMoE",
    "Options",
    "PlanResult",
    "Quantity",
    "ScalingPlanError",
    "ServeOptions",
    "ServeResult",
    "SuggestResult",
    "SweepResult",
    "__version__",
    "architecture",
    "compare",
    "fit",
    "fit_downstream",
    "law",
    "load_config",
    "plan",
    "serve",
    "suggest",
    "sweep",
]


def __getattr__(name: str) -> object:
    """The API, imported on first use: the command line, which starts by importing this package, never needs it."""
    if name in __all__:
        from . import api, api_models, errors

        if name in ("architecture", "ArchitectureResult", "serve", "ServeOptions", "ServeResult"):
            return getattr(api_models, name)
        return getattr(errors if name == "ScalingPlanError" else api, name)
    raise AttributeError(f"module 'scaling_plan' has no attribute {name!r}")
