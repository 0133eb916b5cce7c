"""The one clock: what day it is for every check, page and worklist (fixed by BANGFU_TODAY for reproducible runs)."""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """Today, or BANGFU_TODAY (YYYY-MM-DD) so tests and demos are reproducible."""
    fixed = os.environ.get("BANGFU_TODAY")
    return dt.date.fromisoformat(fixed) if fixed else dt.date.today()


def parse_date(value) -> dt.date | None:
    """A YYYY-MM-DD string as a date, or None."""
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None
