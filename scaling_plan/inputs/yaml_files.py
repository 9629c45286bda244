"""YAML read safely and within bounds: plain data only, every key's line remembered, one error line per problem."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..budget import find_gpu
from ..errors import UsageError, shown
from ..presets import find_law
from .fields import SECTIONS
from .files import file_label, read_text
from .values import Sourced

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


#: Largest config or law file read, in bytes: these are hand-written files, never data sets.
MAX_FILE_BYTES = 1_000_000


#: Deepest nesting of YAML collections read: a config is at most three levels deep (a law's bootstrap samples).
MAX_YAML_DEPTH = 32


#: Most YAML values (scalars and collections) in one file once aliases are expanded: a law file's bootstrap of
#: 100,000 resamples is 600,000; an alias bomb ("billion laughs") is refused before anything is built.
MAX_YAML_VALUES = 1_000_000


Path = tuple[str | int, ...]


def read_yaml(
    path: str,
    text: str | None = None,
    label: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    what: str = "a config is a small hand-written file",
    kind: str = "config file",
    where: str | None = None,
) -> tuple[Any, dict[Path, int], str]:
    """Parse one YAML document (read from path, or given as text) with a safe loader: plain data, never objects or
    code. Returns the data, the 1-based line of every key, and the label for messages. `kind` and `where` say what
    the file should be and what named it, for a path that cannot be read (files.read_text)."""
    import yaml

    label = label or file_label(path)
    if text is None:
        text = read_text(path, max_bytes, what, kind=kind, where=where)
    elif len(text.encode("utf-8")) > max_bytes:
        raise UsageError(label, f"larger than {max_bytes:,} bytes; {what}")
    text = text.removeprefix("\ufeff")
    lines: dict[Path, int] = {(): 1}
    try:
        _check_yaml_size(text, label, what)
        loader = _core_schema(_safe_loader())(text)
        node = loader.get_single_node()
        if node is None:
            raise UsageError(f"{label}:1", "the file is empty")
        _index_lines(node, (), lines, label)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise UsageError(f"{label}:{line}", f"malformed YAML: {error.problem or error.context}") from None
    except yaml.reader.ReaderError:
        control = yaml.reader.Reader.NON_PRINTABLE.search(text)
        line = text.count("\n", 0, control.start()) + 1 if control else 1
        character = f"{control.group()!r} " if control else ""
        raise UsageError(f"{label}:{line}", f"malformed YAML: control character {character}is not allowed") from None
    except yaml.YAMLError as error:
        raise UsageError(label, f"malformed YAML: {error}") from None
    loader.dispose()
    return data, lines, label


def _safe_loader() -> Any:
    """libyaml's safe loader when PyYAML was built with it (ten times faster on a law file's samples), else
    PyYAML's own; both build only plain data."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: Where YAML 1.1 (PyYAML's default) and 1.2 (what editors' language servers read) differ, configs are read as YAML
#: 1.2's core schema: `yes`, `no`, `on`, `off` are text (a true/false field refuses them), `010` is ten, `1e24` is a
#: number, and `2026-12-01` is text. The regular expressions are the 1.2 spec's (section 10.3.2).
_CORE_SCHEMA = {
    "tag:yaml.org,2002:null": (r"~|null|Null|NULL|", "~nN"),
    "tag:yaml.org,2002:bool": (r"true|True|TRUE|false|False|FALSE", "tTfF"),
    "tag:yaml.org,2002:int": (r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    "tag:yaml.org,2002:float": (
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
}
_YAML_11_ONLY = {"tag:yaml.org,2002:timestamp"}


@functools.cache
def _core_schema(base: Any) -> Any:
    """The loader `base` (libyaml's or PyYAML's safe loader), resolving plain scalars by YAML 1.2's core schema."""
    import re

    replaced = set(_CORE_SCHEMA) | _YAML_11_ONLY

    class CoreSchemaLoader(base):  # type: ignore[misc]
        pass

    CoreSchemaLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in replaced]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    for tag, (pattern, first) in _CORE_SCHEMA.items():
        CoreSchemaLoader.add_implicit_resolver(
            tag, re.compile(f"^(?:{pattern})$"), [*first, *([""] if tag.endswith("null") else [])]
        )
    CoreSchemaLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    return CoreSchemaLoader


def _construct_int(loader: Any, node: Any) -> int:
    """A YAML 1.2 integer: decimal (leading zeros and all), 0o octal or 0x hexadecimal."""
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _check_yaml_size(text: str, label: str, what: str) -> None:
    """Refuse YAML nested deeper than MAX_YAML_DEPTH, or holding more than MAX_YAML_VALUES values once aliases are
    expanded. One pass over the parser's events (iterative, nothing built): the composer recurses once per level, and
    walking or validating an alias bomb's shared nodes takes exponential time.

    Newer libyaml releases stop deep nesting themselves, while scanning ahead and in words of their own, before the
    first events reach this check. So when libyaml gives up, PyYAML's own parser (which has no such limit) walks the
    text again: the tool's limits answer first, whichever PyYAML is installed, and a real syntax error still raises.
    """
    import yaml

    try:
        _walk_yaml_events(yaml.parse(text, Loader=_safe_loader()), label, what)
    except yaml.YAMLError:
        if _safe_loader() is yaml.SafeLoader:
            raise
        _walk_yaml_events(yaml.parse(text, Loader=yaml.SafeLoader), label, what)
        raise


def _walk_yaml_events(events: Iterable[Any], label: str, what: str) -> None:
    import yaml

    depth, n_values = 0, 0
    anchor_values: dict[str, int] = {}  # values under each anchor, expanded
    open_collections: list[tuple[str | None, int]] = []  # (anchor, n_values before it) per open collection
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            n_values += anchor_values.get(event.anchor or "", 1)  # an unknown anchor is the composer's to report
        elif isinstance(event, yaml.ScalarEvent):
            n_values += 1
            if event.anchor is not None:
                anchor_values[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise UsageError(f"{label}:{line}", f"nested more than {MAX_YAML_DEPTH} levels deep")
            open_collections.append((event.anchor, n_values))
            n_values += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, before = open_collections.pop()
            if anchor is not None:
                anchor_values[anchor] = n_values - before
        if n_values > MAX_YAML_VALUES:
            raise UsageError(
                f"{label}:{line}",
                f"more than {MAX_YAML_VALUES:,} values once aliases are expanded; {what}",
            )


def _index_lines(node: Any, path: Path, lines: dict[Path, int], label: str) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            key_path = (*path, key)
            if key in seen:
                raise UsageError(f"{label}:{line}", f"duplicate key {'.'.join(map(str, key_path))!r}")
            seen.add(key)
            lines[key_path] = line
            _index_lines(value_node, key_path, lines, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            item_path = (*path, index)
            lines[item_path] = item.start_mark.line + 1
            _index_lines(item, item_path, lines, label)


def validate_model(model: type[BaseModel], data: Any, lines: dict[Path, int], label: str) -> Any:
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise UsageError(f"{label}:1", f"expected a mapping of keys to values, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _usage_error(model, error, lines, label) from None


def _usage_error(model: type[BaseModel], error: ValidationError, lines: dict[Path, int], label: str) -> UsageError:
    """The first validation problem as one line: file:line, the field's dotted path, what is wrong."""
    problem = error.errors(include_url=False)[0]
    loc: Path = tuple(problem["loc"])
    line = next(lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines)
    field = ".".join(map(str, loc)) or "(top level)"
    kind, context = problem["type"], problem.get("ctx") or {}
    # A validator's own ValueError says what is wrong in its words: taken by the error's type, not pydantic's wording.
    message = str(context["error"]) if kind == "value_error" and "error" in context else str(problem["msg"])
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(known)}"
        return UsageError(f"{label}:{line}", f"unknown key {field!r}{hint}")
    if kind == "model_type":
        return UsageError(
            f"{label}:{line}", f"{field}: expected a mapping of keys to values, got {shown(problem['input'])}"
        )
    if kind == "missing":
        return UsageError(f"{label}:{line}", f"{field}: required field is missing")
    if kind != "value_error" and "input" in problem:
        message = f"{message[:1].lower()}{message[1:]}, got {shown(problem['input'])}"
    return UsageError(f"{label}:{line}", f"{field}: {message}")


def _known_keys(model: type[BaseModel], loc: Path) -> list[str]:
    """Field names of the model found at loc, for did-you-mean hints."""
    from typing import get_args

    from pydantic import BaseModel

    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        annotation = current.model_fields[part].annotation
        candidates = (annotation, *get_args(annotation))
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return list(current.model_fields) if current is not None else []


def load_config(
    path: str, text: str | None = None, label: str | None = None, where: str | None = None
) -> dict[str, Sourced]:
    """A plan config file -> plan fields, each with its file:line and dotted key.

    `text` and `label` give the file's content from elsewhere (an older version from git); law paths stay relative
    to `path`. `where` is the option that named the file (--config), for a path that cannot be read.
    """
    from .config_model import PlanConfig
    from .hardware_file import looks_like_file

    data, lines, label = read_yaml(path, text, label, where=where)
    config = validate_model(PlanConfig, data, lines, label)
    values: dict[str, Sourced] = {"config": Sourced(label, f"{label}:1")}  # the file itself, for messages
    name = getattr(config, "name", None)
    if name is not None:
        values["name"] = Sourced(name, f"{label}:{lines.get(('name',), 1)}: name")
    for section, fields in SECTIONS.items():
        block = getattr(config, section)
        for field in fields:
            value = None if block is None else getattr(block, field.key)
            if value is None:
                continue
            where = f"{label}:{lines.get((section, field.key), 1)}: {section}.{field.key}"
            if field.name == "law" and find_law(str(value)) is None and looks_like_file(str(value)) and path != "-":
                value = os.path.join(os.path.dirname(path), value)  # law files are relative to their config
            if field.name == "gpu" and find_gpu(str(value)) is None and path != "-":
                value = os.path.join(os.path.dirname(path), value)  # and so are hardware files
            values[field.name] = Sourced(value, where)
        if section in ("run", "blueprint", "serve") and block is not None:
            values[section] = Sourced(None, f"{label}:{lines.get((section,), 1)}: {section}")
    return values
