"""Excel workbooks the way union staff already work: the national system's layout in and out."""

from __future__ import annotations

from generator.editing.xlsx.export import LAYOUTS, ROWS, SHEETS
from generator.editing.xlsx.transfer import ExportResult, ImportResult, export_archive, import_archive

__all__ = ["LAYOUTS", "ROWS", "SHEETS", "ExportResult", "ImportResult", "export_archive", "import_archive"]
