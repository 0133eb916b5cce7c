"""The rules as validation: every finding of the assessment as a located Problem."""

from __future__ import annotations

from generator.errors import ERROR, Problem
from generator.rules.assess import assess
from generator.rules.facts import Unusable


def check_rules(record, ctx) -> list[Problem]:
    """Problems the eligibility rules find in one schema-valid record (ctx gives .standards and .today)."""
    try:
        result = assess(record.data, record.county, ctx.standards, ctx.today, explain=False)
    except Unusable:
        return []  # the schema check already names the missing or malformed field
    # An exited record is history: its data must still add up, but advice (warnings) no longer applies.
    findings = [f for f in result.findings if f.severity == ERROR] if result.exited else result.findings
    return [record.problem(f.pointer, f.code, f.message, f.severity) for f in findings]
