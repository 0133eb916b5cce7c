"""Text a spreadsheet program must show, not evaluate: the formula-injection rule shared by every CSV and xlsx writer.

Excel, WPS and LibreOffice start a formula (or a DDE call) at a cell that begins with = + - @, and treat a
leading tab or carriage return as blank space before one (OWASP "CSV Injection"). Chinese input methods type
the full-width forms, which WPS also accepts. A record's free text (工作单位, 备注 …) reaches such cells, so a
value like =HYPERLINK("http://…"&F2) would otherwise run in the reader's spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_GUARD = "'"
# A signed plain number (-1,200.50) opens as that number, never as a formula: a quote would only spoil it.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would evaluate this text typed into (or opened as) a cell."""
    return text.startswith(FORMULA_START)


def csv_value(value):
    """A CSV field: text that could start a formula gets a leading ' (shown, never evaluated); numbers stay numbers."""
    if isinstance(value, str) and formula_like(value) and not _PLAIN_NUMBER.fullmatch(value):
        return CSV_GUARD + value
    return value


def csv_bytes(rows) -> bytes:
    """Rows as CSV with a byte-order mark (spreadsheet programs then read the Chinese correctly); no cell is a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
