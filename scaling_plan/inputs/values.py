"""Values that remember where they came from (a flag, or file:line and field), and their parsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import UsageError
from ..units import parse_quantity


@dataclass(frozen=True)
class Sourced:
    value: object
    where: str  # "--mfu" or "configs/a.yaml:7: hardware.mfu"


def merge(config_values: Mapping[str, Sourced], flag_values: Mapping[str, Sourced]) -> dict[str, Sourced]:
    """Flags override the config; a given (budget or target) by flag replaces the config's given."""
    from ..choices import GIVEN_KINDS

    merged = dict(config_values)
    if any(kind in flag_values for kind in GIVEN_KINDS):
        for kind in GIVEN_KINDS:
            merged.pop(kind, None)
    merged.update(flag_values)
    return merged


def _quantity(value: object, where: str, money: bool = False) -> float:
    try:
        return parse_quantity(value, money)
    except ValueError as error:
        raise UsageError(where, str(error)) from None


def positive_number(value: object, where: str, money: bool = False) -> float:
    """A positive finite quantity (1e24, 70B; $2M for money), or a UsageError naming `where`."""
    number = _quantity(value, where, money)
    if number <= 0:
        raise UsageError(where, f"must be positive, got {number:g}")
    return number


def finite_number(value: object, where: str) -> float:
    """Any finite number, negative too (a score centred on chance), or a UsageError naming `where`."""
    return _quantity(value, where)


def non_negative_number(value: object, where: str, money: bool = False) -> float:
    """A finite quantity >= 0 (a limit, inference tokens), or a UsageError naming `where`."""
    number = _quantity(value, where, money)
    if number < 0:
        raise UsageError(where, f"must not be negative, got {number:g}")
    return number


def seed_number(value: object, where: str) -> int:
    """A bootstrap's seed: a whole number, 0 or more (numpy's generators take no negative seed)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(where, f"must be a whole number, 0 or more, got {value!r}")
    return value


def comma_items(text: str, where: str, example: str) -> list[str]:
    """The items of a comma-separated list (--budgets 1e20,1e21), each stripped of spaces. An empty item (1e20,,1e21,
    or a comma at either end) is refused by its position: a dropped item would silently change what was asked."""
    from ..errors import shown

    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise UsageError(where, f"expected a comma-separated list, e.g. {example}")
    empty = next((position for position, item in enumerate(items, 1) if not item), None)
    if empty is not None:
        raise UsageError(where, f"item {empty} of {len(items)} is empty in {shown(text)}")
    return items


def checked_whole(values: Mapping[str, Sourced], field: str) -> int | None:
    """A whole-number field (a shape's layers, a count of experts) as an int, in its range (checked_number)."""
    number = checked_number(values, field)
    return None if number is None else int(number)


def choice(value: object, members: Sequence[str], where: str, kind: str) -> str:
    """The member `value` names, in any case (--method Law is law), or a UsageError naming `where` with the closest
    member ("did you mean 'law'?") and every member."""
    from ..choices import member_named
    from ..errors import unknown_name

    found = member_named(value, members)
    if found is None:
        raise UsageError(where, unknown_name(kind, str(value), members))
    return found


def sourced_choice(values: Mapping[str, Sourced], field: str, choices: Sequence[str], default: str) -> str:
    item = values.get(field)
    if item is None:
        return default
    from ..parallel import SHARDING_ALIASES
    from .fields import BY_NAME

    kind = BY_NAME[field].key.replace("_", " ") if field in BY_NAME else field.replace("_", " ")
    named = SHARDING_ALIASES.get(str(item.value).strip().lower(), item.value) if field == "sharding" else item.value
    return choice(named, choices, item.where, kind)


def config_file_values(path: str | None, where: str = "--config") -> dict[str, Sourced]:
    """A config file's values (none without a file): YAML and pydantic are imported only when there is one."""
    if path is None:
        return {}
    from .yaml_files import load_config

    return load_config(path, where=where)


def checked_number(values: Mapping[str, Sourced], field: str) -> float | None:
    """A field's quantity, in the range its row in the table of fields gives (the same check the config models make)."""
    from .fields import BY_NAME, range_problem

    item = values.get(field)
    if item is None:
        return None
    number = _quantity(item.value, item.where, BY_NAME[field].money)
    problem = range_problem(BY_NAME[field], number)
    if problem is not None:
        raise UsageError(item.where, problem)
    return number
