"""Data cells written a column at a time: the same XML xlsxwriter writes, built per column.

xlsxwriter spends most of a large table's time in two per-cell loops: ``write_*`` (checks, the shared
string, a named tuple per cell) and, at close, ``_write_cell`` (the address, the style, the element). The
explorer's export of a district's 2,207 projects × 13 columns spent two thirds of its time there. A
:class:`ColumnSheet` takes a whole column of plain strings, numbers or booleans at once: each cell's
element is built when the column is written (address and value; text goes through the workbook's shared
string table as ``write_string`` would put it) and written out verbatim at close, with the style
attribute xlsxwriter gives a cell without a format of its own — its row's format, else its column's,
looked up at close as xlsxwriter does. The sheet's XML is byte for byte what the per-cell path writes
(``tests/test_workbook.py`` compares the two); everything else — rows, spans, merged titles, formats,
print setup — is xlsxwriter's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet


class ColumnSheet(Worksheet):
    """An xlsxwriter worksheet that also takes data cells a column at a time (:meth:`write_column`)."""

    def _write_cell(self, row: int, col: int, cell: object) -> None:
        if type(cell) is not tuple:  # xlsxwriter's own cells are named tuples (subclasses), ours plain
            super()._write_cell(row, col, cell)
            return
        info = self.row_info.get(row)
        if info is not None and info.row_format:
            style = f' s="{info.row_format._get_xf_index()}"'
        else:
            column = self.col_info.get(col)
            fmt = column.column_format if column is not None else None
            style = f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
        self.fh.write(cell[0] + style + cell[1])

    def write_column(self, first_row: int, col: int, values: Sequence[object], kind: str) -> bool:
        """Write ``values`` (None or "" = no cell) down column ``col`` from ``first_row``; ``kind`` is
        "string", "number" or "boolean", each value of that type. Returns False, having written
        nothing, where the per-cell path must do it (a row beyond the sheet's last, constant memory)."""
        present = [i for i, v in enumerate(values) if v is not None and v != ""]
        if not present:
            return True
        if self.constant_memory or self._check_dimensions(first_row + present[-1], col) == -1:
            return False
        self._check_dimensions(first_row + present[0], col)
        letter = xl_col_to_name(col)
        table = self.table
        if kind == "string":
            index = self.str_table._get_shared_string_index  # counts every use, as write_string does
            for i in present:
                row = first_row + i
                table[row][col] = (f'<c r="{letter}{row + 1}"', f' t="s"><v>{index(values[i])}</v></c>')
        elif kind == "number":
            for i in present:
                row = first_row + i
                table[row][col] = (f'<c r="{letter}{row + 1}"', f"><v>{values[i]:.16G}</v></c>")
        elif kind == "boolean":
            for i in present:
                row = first_row + i
                table[row][col] = (f'<c r="{letter}{row + 1}"', f' t="b"><v>{int(bool(values[i]))}</v></c>')
        else:
            raise ValueError(f"not a column kind: {kind}")
        return True
