"""How hard randomised tests try. A run that measures coverage (plain `pytest`, the full suite CI runs) tries at
full strength; a run with --no-cov (the everyday loop and the domain loop) draws a fifth of the examples (at least
ten) and fewer bootstrap refits. The conftest sets FULL before any test module is imported."""

from __future__ import annotations

from hypothesis import settings

FULL = True


def examples(full: int) -> settings:
    """Settings drawing `full` examples at full strength, a fifth in the loops; no deadline (CI machines vary)."""
    return settings(max_examples=full if FULL else max(10, full // 5), deadline=None)


def count(full: int, loop: int) -> int:
    """`full` at full strength, `loop` in the loops (e.g. bootstrap refits behind an interval)."""
    return full if FULL else loop
