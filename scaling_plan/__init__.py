"""scaling-plan: compute-optimal planning for language-model training.

The domain is importable without the CLI: laws, allocators, budgets and plans are plain functions and dataclasses.
"""

__version__ = "0.1.0"
