"""Eligibility rules of plan section 五（一）: assess a household, explain it, check it."""

from __future__ import annotations

from generator.rules.assess import ACCIDENT_CATEGORY, DIBAO, EDGE, assess
from generator.rules.check import check_rules
from generator.rules.facts import Unusable
from generator.rules.migrant import today_key
from generator.rules.trace import Assessment, Step

__all__ = ["ACCIDENT_CATEGORY", "DIBAO", "EDGE", "Assessment", "Step", "Unusable", "assess", "check_rules", "today_key"]
