"""Output formats: one enum per result type, whose members are the ``-o`` choices of the commands that
produce it; :meth:`to_format` names the renderer (pip-audit's ``OutputFormatChoice.to_format``).

A renderer turns a result into a :data:`Rendering`: text written to stdout exactly as given (JSON,
SARIF, CSV, Markdown, az commands), or a function that prints tables on a rich console. A new output
format is a new member here and a renderer in ``report/``; no command changes.

Renderers are imported when chosen, so ``detect -o json`` never loads rich.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from natmigrate.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from natmigrate.check.gate import CheckReport
    from natmigrate.execute.ports import CurrentPorts
    from natmigrate.execute.run import RunResult
    from natmigrate.filescan.results import FileResult
    from natmigrate.fix.core import FixReport
    from natmigrate.fleet.inventory import FleetInventory
    from natmigrate.plan.model import Plan

Rendering = str | Callable[["Console"], None]
"""What a renderer produces: stdout text, or what to print on the stdout console."""


def as_text(rendering: Rendering) -> str:
    """A rendering as plain text (for files): consoles print without colour, 200 columns wide."""
    if isinstance(rendering, str):
        return rendering
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    rendering(Console(file=buf, soft_wrap=False, highlight=False, no_color=True, width=200))
    return buf.getvalue()


def _json(document: Any) -> str:
    """``json.dumps(document, indent=2)``, at about twice its speed (see :mod:`.json_text`): SARIF
    and JSON reports of a large ``check`` run hold thousands of findings."""
    from natmigrate.report.json_text import dumps_indented

    return dumps_indented(document)


class OutputFormat(Protocol):
    """What every format enum below is: ``-o`` choices with a ``json`` member, ``tsv`` rows, renderers."""

    @property
    def value(self) -> str:
        """The ``-o`` choice."""

    @property
    def rows(self) -> str:
        """A JMESPath query on the JSON document: the rows ``-o tsv`` prints."""

    def to_format(self) -> Callable[[Any], Rendering]:
        """The renderer of this format."""


def render(output: OutputFormat, result: Any, query: str | None = None) -> Rendering:
    """``result`` in ``output``, with az's ``--query`` (JMESPath on the ``-o json`` document) and
    ``-o tsv`` (the query's result, or the rows of the table, tab-separated)."""
    if output.value not in ("json", "tsv"):
        if query is not None:
            raise UsageError(f"--query needs -o json or -o tsv (not -o {output.value})")
        return output.to_format()(result)
    json_format: OutputFormat = type(output)("json")  # type: ignore[call-arg]
    if output.value == "json" and query is None:
        return json_format.to_format()(result)
    from natmigrate.report.azquery import search, to_tsv

    document = json.loads(as_text(json_format.to_format()(result)))
    if output.value == "json":
        return _json(search(str(query), document)) + "\n"
    return to_tsv(search(query or output.rows, document))


# detect -------------------------------------------------------------------------------------


class FindingsFormat(str, Enum):
    """``detect -o`` choices (per-file findings)."""

    table = "table"
    json = "json"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints (a JMESPath query on the JSON document): the files table."""
        return "files"

    def to_format(self) -> Callable[[list[FileResult]], Rendering]:
        """The renderer of this format."""
        if self is FindingsFormat.tsv:
            return lambda results: render(self, results)
        return _findings_json if self is FindingsFormat.json else _findings_table


def _findings_json(results: list[FileResult]) -> Rendering:
    from natmigrate.filescan.results import results_document
    from natmigrate.report.json_text import dumps_indented

    return dumps_indented(results_document(results))


def _findings_table(results: list[FileResult]) -> Rendering:
    def show(console: Console) -> None:
        from natmigrate.report import findings_table

        if any(r.error is None for r in results):  # errors alone are reported on stderr
            findings_table.print_results(console, results)

    return show


# check --------------------------------------------------------------------------------------


class CheckFormat(str, Enum):
    """``check -o`` choices (the CI gate's report)."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"
    markdown = "markdown"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: the files."""
        return "files"

    def to_format(self, verbose: bool = False, color: bool = False) -> Callable[[CheckReport], Rendering]:
        """The renderer of this format (``verbose``, ``color``: text only, see ``check_text``)."""
        if self is CheckFormat.text:
            from natmigrate.report import check_text

            return lambda r: check_text.render(r, verbose=verbose, color=color)
        # Each renderer is imported when chosen (``--sarif-file`` does not load the XML library).
        if self is CheckFormat.sarif:
            from natmigrate.report import sarif

            return lambda r: _json(sarif.document(r)) + "\n"
        if self is CheckFormat.junit:
            from natmigrate.report import junit

            return junit.render
        if self is CheckFormat.github:
            from natmigrate.report import github

            return github.render
        if self is CheckFormat.markdown:
            from natmigrate.report import markdown

            return markdown.render
        if self is CheckFormat.json:
            return lambda r: _json(r.document()) + "\n"
        return lambda r: render(self, r)  # tsv


class RulesFormat(str, Enum):
    """``check --list-rules -o`` choices (the detection rules)."""

    text = "text"
    json = "json"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: every rule."""
        return "@"

    def to_format(self) -> Callable[[None], Rendering]:
        """The renderer of this format."""
        from natmigrate.report import rules_list

        if self is RulesFormat.json:
            return lambda _: _json(rules_list.rules_document()) + "\n"
        if self is RulesFormat.tsv:
            return lambda _: render(self, None)
        return lambda _: rules_list.print_rules


# plan ---------------------------------------------------------------------------------------


class PlanFormat(str, Enum):
    """``plan -o`` choices."""

    table = "table"
    json = "json"
    markdown = "markdown"
    az_cli = "az-cli"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: the port table of every load balancer."""
        return "load_balancers[].port_mappings[]"

    def to_format(self) -> Callable[[Plan], Rendering]:
        """The renderer of this format."""
        if self is PlanFormat.json:
            return lambda plan: plan.to_json()
        if self is PlanFormat.tsv:
            return lambda plan: render(self, plan)
        if self is PlanFormat.markdown:
            from natmigrate.report.plan_markdown import render_markdown

            return render_markdown
        if self is PlanFormat.az_cli:
            from natmigrate.report.plan_azcli import render_az_cli

            return render_az_cli
        return _plan_table


def _plan_table(plan: Plan) -> Rendering:
    from natmigrate.report.plan_table import print_plan

    return lambda console: print_plan(console, plan)


# migrate, apply, resume, rollback -----------------------------------------------------------


class RunFormat(str, Enum):
    """``-o`` choices of the commands that run a migration (or a dry run of one)."""

    table = "table"
    json = "json"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: the port table."""
        return "port_mapping"

    def to_format(self) -> Callable[[RunResult], Rendering]:
        """The renderer of this format."""
        if self is RunFormat.tsv:
            return lambda result: render(self, result)
        return (lambda result: _json(result.to_json())) if self is RunFormat.json else _run_tables


def _run_tables(result: RunResult) -> Rendering:
    from natmigrate.report.run_report import print_dry_run, print_ports

    def show(console: Console) -> None:
        if result.status == "dry-run":
            print_dry_run(console, result)
        elif result.outcome.ports:
            print_ports(console, result.outcome.ports)

    return show


# fix ----------------------------------------------------------------------------------------


class FixFormat(str, Enum):
    """``fix -o`` choices (each file's rewrite)."""

    diff = "diff"
    json = "json"

    @property
    def rows(self) -> str:
        """What a ``--query``-less ``-o tsv`` would print: the files (fix has no ``-o tsv``)."""
        return "files"

    def to_format(self) -> Callable[[FixReport], Rendering]:
        """The renderer of this format (a diff of what ``--write`` already wrote is empty)."""
        from natmigrate.report import fix_report

        if self is FixFormat.json:
            return lambda r: fix_report.document(r.results, r.written)
        return lambda r: "" if r.written else fix_report.diff(r.results)


# ports --------------------------------------------------------------------------------------


class PortsFormat(str, Enum):
    """``ports -o`` choices (every target's current frontend port)."""

    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: the port rows."""
        return "@"

    def to_format(self) -> Callable[[CurrentPorts], Rendering]:
        """The renderer of this format."""
        if self is PortsFormat.json:
            return lambda ports: _json(ports.rows)
        if self is PortsFormat.tsv:
            return lambda ports: render(self, ports)
        if self is PortsFormat.csv:
            from natmigrate.execute.ports import PORT_COLUMNS
            from natmigrate.report.run_report import rows_csv

            return lambda ports: rows_csv(ports.rows, PORT_COLUMNS)
        return _ports_table


def _ports_table(ports: CurrentPorts) -> Rendering:
    from natmigrate.report.run_report import print_current_ports

    title = f"Frontend ports of {ports.load_balancer}"
    return lambda console: print_current_ports(console, ports.rows, title)


# scan ---------------------------------------------------------------------------------------


class FleetFormat(str, Enum):
    """``scan -o`` choices (a fleet inventory)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    tsv = "tsv"

    @property
    def rows(self) -> str:
        """What ``-o tsv`` prints: one row per load balancer."""
        return "load_balancers[].[subscription, resource_group, name, sku, readiness]"

    def to_format(self) -> Callable[[FleetInventory], Rendering]:
        """The renderer of this format."""
        from natmigrate.report import fleet_text

        if self is FleetFormat.json:
            return lambda inventory: inventory.to_json()
        if self is FleetFormat.csv:
            return fleet_text.to_csv
        if self is FleetFormat.markdown:
            return fleet_text.to_markdown
        return lambda inventory: lambda console: fleet_text.print_table(console, inventory)
