"""What every generated page may consult during one build."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from generator.access.privacy import Policy
from generator.history.view import HistoryIndex
from generator.rules.regions import Regions
from generator.site.shell import Shell


@dataclass
class Site:
    """One build's shared inputs: regions, the role policy, the frame, today, standards and history."""

    regions: Regions
    policy: Policy
    shell: Shell
    today: dt.date
    standards: object
    history: HistoryIndex
    key: str  # names every input shared by all pages (code, templates, frame, policy, standards)
    future: dict = field(default_factory=dict)  # effects of future-dated standards by record (generator.site.future)
