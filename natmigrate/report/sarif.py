"""SARIF 2.1.0 for GitHub code scanning (and every other SARIF consumer).

What GitHub's ingestion needs and this writes: one rule per NATM id with a name, help text and a
help link; results whose artifact URIs are relative to the scan root (``uriBaseId`` SRCROOT,
declared in ``originalUriBaseIds``); ``startLine`` >= 1, or no region at all when the line is
unknown; ``partialFingerprints`` keyed by file, resource and rule (not by line, so a finding keeps
its identity when lines move); suppressed findings kept, with ``suppressions``. Files that could not
be read are tool execution notifications, so they show up without pretending to be findings.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from natmigrate import __version__
from natmigrate.check.gate import CheckReport
from natmigrate.detect import RULES, help_uri

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/natmigrate/natmigrate"
FINGERPRINT_KEY = "natmigrateFinding/v1"
_ROOT = "SRCROOT"


def _uri(display: str) -> str:
    return quote(display, safe="/+@:~!$&'()*,;=-._")


def _root_uri(root: Path) -> str:
    uri = root.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def rules() -> list[dict[str, Any]]:
    """The rule descriptors, in id order (``ruleIndex`` refers to this order)."""
    out = []
    for rule in RULES.values():
        link = help_uri(rule.id)
        out.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary + "."},
                "fullDescription": {"text": rule.help},
                "help": {
                    "text": rule.help,
                    "markdown": f"**{rule.summary}.** {rule.help} See [{rule.id}]({link}).",
                },
                "helpUri": help_uri(rule.id),
                "defaultConfiguration": {"level": rule.severity},
                "properties": {
                    "tags": ["azure", "load-balancer", "inbound-nat", "retirement"],
                    "precision": "high" if rule.severity == "error" else "medium",
                    "problem.severity": rule.severity,
                },
            }
        )
    return out


def _artifact(display: str) -> dict[str, str]:
    if display.startswith("/"):
        # Outside the scan root (--root elsewhere): an absolute file URI, not relative to SRCROOT.
        return {"uri": Path(display).as_uri()}
    return {"uri": _uri(display), "uriBaseId": _ROOT}


def _location(artifact: dict[str, str], line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None and line >= 1:
        region: dict[str, Any] = {"startLine": line}
        if column is not None and column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return {"physicalLocation": physical}


def document(report: CheckReport) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    index = {rule_id: i for i, rule_id in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for f in report.files:
        if not f.findings and f.error is None:
            continue  # (most files of a repository)
        if f.error is not None:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": f.error},
                    "locations": [_location(_artifact(f.display), None, None)],
                    "descriptor": {"id": "NATM-INPUT"},
                }
            )
            continue
        seen: Counter[str] = Counter()
        artifact = _artifact(f.display)  # (once per file: quoting the path is most of a result's cost)
        for c in f.findings:
            fnd = c.finding
            level = fnd.severity
            if report.strict and level == "warning":
                level = "error"
            key = f"{f.display}|{fnd.resource}|{fnd.rule}"
            seen[key] += 1
            digest = hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()
            location = _location(artifact, fnd.line, fnd.column)
            location["logicalLocations"] = [{"fullyQualifiedName": fnd.resource, "kind": "resource"}]
            result: dict[str, Any] = {
                "ruleId": fnd.rule,
                "ruleIndex": index[fnd.rule],
                "level": level,
                "message": {"text": fnd.message + "."},
                "locations": [location],
                "partialFingerprints": {FINGERPRINT_KEY: digest},
            }
            if c.suppression is not None:
                result["suppressions"] = [
                    {
                        "kind": c.suppression.kind,
                        "status": "accepted",
                        "justification": c.suppression.justification,
                    }
                ]
            results.append(result)
    invocation: dict[str, Any] = {
        "executionSuccessful": not notifications,
        "toolExecutionNotifications": notifications,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "natmigrate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules(),
                    }
                },
                "originalUriBaseIds": {_ROOT: {"uri": _root_uri(report.root)}},
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
