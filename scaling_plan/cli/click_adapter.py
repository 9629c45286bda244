"""Every use of Typer's and its vendored Click's private parts, fenced here (tests/cli/test_exit_status.py fails when an
upgrade moves one): the command line's help drawn with whole option names, options that refuse a second value,
choices read in any case, Click's errors read as one line, and completion for a named shell.

Typer 0.29 vendors Click as `typer._click`, whose exceptions are not exported by a public module.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from typer._click.exceptions import BadParameter, ClickException, MissingParameter, NoArgsIsHelpError

__all__ = ["ClickException", "NoArgsIsHelpError", "click_message", "coerce_given_only", "completion_for_named_shells",
           "draw_help", "parsed_options", "read_choice_with", "refuse_repeats"]  # fmt: skip

#: Typer's switch between its two completion options: unset, --install-completion and --show-completion take no value
#: and detect the shell from the parent process (so `--show-completion bash` under sh, as in a container or CI, fails
#: with "Shell sh not supported"); set, each takes the shell's name. Typer reads it when it builds the command line.
COMPLETION_SWITCH = "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"


def completion_for_named_shells() -> None:
    """--install-completion SHELL and --show-completion SHELL: the shell named, never guessed from the parent."""
    import os

    os.environ[COMPLETION_SWITCH] = "1"


#: The private names this module relies on: module attributes, and the attributes of a command's parser, its options
#: and its parameters (the adapter's test checks each on a real command).
PRIVATE_MODULE_NAMES = (("typer.rich_utils", "Table"),)
PRIVATE_PARSER_NAMES = ("_long_opt", "_short_opt")
PRIVATE_OPTION_NAMES = ("process", "dest", "action", "obj")
PRIVATE_PARAM_NAMES = ("type_descriptor", "display_type_rich", "param_type_name")


def draw_help(command: Any, ctx: Any, draw: Callable[[], None], table: type) -> None:
    """Typer's help drawn with `table` for its option tables (rich_utils.Table swapped for the drawing), a flag shown
    without a `<bool>` type (it takes no value), and an argument without its `<str>` (its metavar says what it is)."""
    from typer import rich_utils

    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        if param.param_type_name == "argument" and param.metavar is not None:
            param.display_type_rich = lambda ctx: None
    drawn = rich_utils.Table  # type: ignore[attr-defined]
    rich_utils.Table = table  # type: ignore[attr-defined,assignment]
    try:
        draw()
    finally:
        rich_utils.Table = drawn  # type: ignore[attr-defined]


def parsed_options(parser: Any) -> list[Any]:
    """The options a command's parser knows, each once (long and short names share one)."""
    options = {id(option): option for option in [*parser._long_opt.values(), *parser._short_opt.values()]}
    return [option for option in options.values() if option.action == "store"]  # the ones that take a value


def refuse_repeats(option: Any, refuse: Callable[[Any, Any, Any], None]) -> None:
    """Call refuse(option, earlier value, value) when an option that takes one value is given a second."""
    process = option.process

    def once(value: Any, state: Any) -> None:
        if option.dest in state.opts:
            refuse(option, state.opts[option.dest], value)
        process(value, state)

    option.process = once


def coerce_given_only(param: Any) -> None:
    """Typer 0.29 builds a pydantic TypeAdapter for every parameter of a command, given or not (about 0.4 ms each;
    budget has 70), only to turn an absent single value into None. An absent one (None) is passed as None here, as
    Typer's coercion returns it, then held to `required` and its callback as Typer does; a given one is Typer's."""
    process = param.process_value
    if param.multiple or param.nargs != 1:
        return

    def process_value(ctx: Any, value: Any) -> Any:
        if value is not None:
            return process(ctx, value)
        if param.required:
            raise MissingParameter(ctx=ctx, param=param)
        return value if param.callback is None else param.callback(ctx, param, value)

    param.process_value = process_value


def read_choice_with(param: Any, parse: Callable[[str], str]) -> list[str] | None:
    """Give a choice option its own reader `parse` (in place of Typer's exact match); its members, or None for an
    option that is no single choice."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or descriptor.is_list or not descriptor.choices:
        return None
    info = copy.copy(descriptor.parameter_info)  # its own: one option's info may serve several commands
    info.parser = parse
    param.type_descriptor = dataclasses.replace(descriptor, parameter_info=info)
    return [str(member) for member in descriptor.choices]


def click_message(error: ClickException) -> str:
    """Click's error as one line. A value Typer's coercion refused carries pydantic's error as its cause: its text is
    taken by the error's type (a validator's own ValueError says what is wrong), not by trimming its wording."""
    cause = error.__cause__
    if isinstance(error, BadParameter) and cause is not None and hasattr(cause, "errors"):
        problem = cause.errors(include_url=False)[0]
        context = problem.get("ctx") or {}
        error.message = (
            str(context["error"]) if problem["type"] == "value_error" and "error" in context else problem["msg"]
        )
    return " ".join(error.format_message().split())
