"""The command line: the Typer app, its shared options and its commands by purpose. The only layer that knows about
Typer; it parses, asks the inputs for a request, calls the domain and hands the result to an output view.

The command modules do without `from __future__ import annotations`: Typer reads every command's annotations at each
start, and as objects they are built once instead of parsed from strings twice (start-up is felt in every CI run).
"""

from __future__ import annotations

# Each module registers its commands on the app; --help lists them in this order.
# isort: off
from . import plans, configs, fitting, downstream, suggest, listings  # noqa: F401

# isort: on
from .app import app, main

__all__ = ["app", "main"]
