"""The command line: the Typer app, its shared options and its commands by purpose. The only layer that knows about
Typer; it parses, asks the inputs for a request, calls the domain and hands the result to an output view.

The command modules do without `from __future__ import annotations`: Typer reads every command's annotations at each
start, and as objects they are built once instead of parsed from strings twice (start-up is felt in every CI run).
"""

from __future__ import annotations

# Each command module defines its commands when imported; load_commands() imports the module of the command a
# command line runs and registers that command on the app (or every command, for help, in the order --help lists
# them: app.COMMAND_MODULES).
from .app import app, load_commands, main

__all__ = ["app", "load_commands", "main"]
