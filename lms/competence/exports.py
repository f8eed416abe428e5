"""CSV and XLSX exports of the dashboard's lists and heat map.

Each file starts with a header block: what was exported, when, and with which
filters, then the table.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

#: Cells a spreadsheet would run as a formula; such text gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportTable:
    """A table to export, with the lines of its header block."""

    title: str
    #: (label, value) pairs: export time, unit, list, filters.
    header: Sequence[tuple[str, str]]
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]


def _safe(value: object) -> object:
    """Keep spreadsheet programs from running text as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(_safe(value))


def to_csv(table: ExportTable) -> bytes:
    """Write the table as UTF-8 CSV with a byte-order mark, for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([table.title])
    for label, value in table.header:
        writer.writerow([label, _text(value)])
    writer.writerow([])
    writer.writerow(table.columns)
    writer.writerows([_text(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: ExportTable) -> bytes:
    """Write the table as an XLSX workbook with one sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31])
    bold = Font(bold=True)

    def strong(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        return cell

    sheet.append([strong(table.title)])
    for label, value in table.header:
        sheet.append([strong(label), _text(value)])
    sheet.append([])
    sheet.append([strong(column) for column in table.columns])
    for row in table.rows:
        sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # XLSX has no time zones; times are UTC
    return _safe(value)
