"""The commands over config files: compare and check."""

import sys
from typing import Annotated

import typer

from ..choices import ReportFormat
from ..errors import UsageError
from ..inputs.fields import fields_of
from ..status import ExitStatus
from .app import command, error_line, fail, flag_of, warn_all
from .options import (
    NO_FIELDS,
    PANEL_POLICY,
    ConfigsArgument,
    DownstreamOption,
    FieldValues,
    QuietOption,
    downstream_flag,
    format_option,
    plan_flags,
    with_fields,
)


@command(
    (
        (
            "Two configs side by side, deltas against the first",
            "scaling-plan compare configs/flops-1e24.yaml configs/chinchilla-70b.yaml",
        ),
        (
            "Each config against its version on main, for a pull request",
            "scaling-plan compare --base-ref origin/main configs/h100-dollars.yaml",
        ),
        (
            "The same as a markdown comment",
            "scaling-plan compare --base-ref origin/main configs/h100-dollars.yaml -f markdown",
        ),
    ),
    name="compare",
)
def compare_configs(
    configs: ConfigsArgument,
    base_ref: Annotated[
        str | None,
        typer.Option(
            help="Compare each config with its version at this git ref (e.g. origin/main), read with `git show`;"
            " a folder names its configs that differ from the ref (changed, new or deleted).",
            metavar="REF",
        ),
    ] = None,
    downstream: DownstreamOption = None,
    output_format: Annotated[
        ReportFormat, format_option("Output format (markdown for a pull-request comment).", panel=None)
    ] = "table",
    quiet: QuietOption = False,
) -> None:
    """Configs side by side: budget, N, D, tokens/param, loss, GPU-hours, days, cost and gap to optimal.

    Deltas (absolute and %) are against the first config, or with --base-ref against each config's base version.
    A config with a run: section is compared by its intended run; one without, by its planned run.
    """
    from ..answers import compare_entries, require_configs
    from ..output.plans import gap_notes
    from ..output.records import compare_records
    from ..output.reports import emit_compare, emit_unchanged
    from ..output.tables import without_notes

    entries, baselines, warnings, errors = compare_entries(configs, base_ref, None, downstream_flag(downstream))
    if base_ref is None and not errors:
        require_configs(configs, len(entries), 2, "CONFIG", "to compare, or one with --base-ref")
    warn_all(warnings)
    for message in dict.fromkeys(error.worded(flag_of) for error in errors):  # each once (a file may be given twice)
        error_line(message)  # a config that cannot be read is said, and the others are still compared
    if entries and (base_ref is not None or len(entries) >= 2):
        laws = {entry.plan.request.law.name: entry.plan.request.law for entry in entries}
        notes = [note for law in laws.values() for note in gap_notes(law)]
        failed = list(dict.fromkeys(error.worded(flag_of) for error in errors))
        with without_notes(quiet):
            emit_compare(compare_records(entries, baselines), notes, output_format, sys.stdout, failed)
    elif not errors:  # folders none of whose configs differs from the base: nothing to compare, and so said
        emit_unchanged(configs, base_ref or "", output_format, sys.stdout)
    if errors:
        raise typer.Exit(ExitStatus.USAGE)


@command(
    (
        ("A config's own policy: section", "scaling-plan check configs/chinchilla-70b.yaml"),
        (
            "A limit as a flag: Gopher's 1.07 tokens/param fails it (exit 1)",
            "scaling-plan check configs/gopher-280b.yaml --min-tokens-per-param 15",
        ),
        ("A markdown report for a pull request", "scaling-plan check configs/data-limited-served.yaml -f markdown"),
    )
)
@with_fields(*fields_of("policy"))
def check(
    configs: ConfigsArgument,
    fields: FieldValues = NO_FIELDS,
    require_policy: Annotated[
        bool,
        typer.Option(
            "--require-policy",
            help="A config without a policy (no policy: section, no limit flags) is an error (exit 2); by default"
            " it is reported as skipped.",
            rich_help_panel=PANEL_POLICY,
        ),
    ] = False,
    output_format: Annotated[
        ReportFormat, format_option("Output format (markdown for a pull-request comment).")
    ] = "table",
    quiet: QuietOption = False,
) -> None:
    """Check configs against policy limits: one line per config and rule, with the measured value and the limit.

    The intended run (run: section) is checked, or the planned run when a config has none. Every config is reported:
    one that cannot be planned as its error, one without a policy as skipped. Exit codes: 0 every rule checked
    passes; 1 a rule failed; 2 bad input (a config or flag that cannot be checked, no config at all (an empty
    folder), or with --require-policy a config without a policy).
    """
    from ..answers import Entry, config_paths, require_configs
    from ..inputs.request import build_request, policy_limits
    from ..inputs.values import merge
    from ..inputs.yaml_files import load_config
    from ..output.records import error_record, verdict_record
    from ..output.reports import emit_check
    from ..output.tables import without_notes
    from ..plans import make_plan
    from ..policy import check_plan

    flag_values = plan_flags(fields)
    policy_limits(flag_values)  # a bad flag is bad for every config: say so once, before reading any
    paths = config_paths(configs, None)
    require_configs(configs, len(paths), 1, "CONFIG", "to check")
    records = []
    for path in paths:
        try:
            values = merge(load_config(path), flag_values)
            request, _ = build_request(values)  # a config's own error first, whatever its policy
            plan = make_plan(request)
            name = str(values["name"].value) if "name" in values else None
            limits = policy_limits(values)
            if not limits:
                why = "no policy: give limits as flags (e.g. --min-tokens-per-param 15) or in a policy: section"
                if require_policy:
                    raise UsageError(path, why)
                records.append(error_record(path, why, "skipped", name))
                continue
            records += [verdict_record(Entry(path, name, plan), verdict) for verdict in check_plan(plan, limits)]
        except UsageError as error:
            error_line(error.worded(flag_of))
            records.append(error_record(path, error.worded(flag_of)))
    with without_notes(quiet):
        emit_check(records, output_format, sys.stdout)
    statuses = {record["status"] for record in records}
    if "error" in statuses:
        raise typer.Exit(ExitStatus.USAGE)
    if "fail" in statuses:
        failed: dict[str, list[str]] = {}
        for record in records:
            if record["status"] == "fail":
                failed.setdefault(str(record["config"]), []).append(str(record["rule"]))
        sys.stdout.flush()  # the report, then the verdict
        fail(
            "policy failed: " + "; ".join(f"{path}: {', '.join(rules)}" for path, rules in failed.items()),
            ExitStatus.FAILED,
        )
