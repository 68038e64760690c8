"""The loaded input: :class:`Dataset` (the contract tables as loaded, with what was quarantined and
why), its per-table :class:`TableRecord`, and how records of tables loaded apart combine into one.

What every reader (:mod:`perfkit.io.load`) produces and every analysis reads; it reads no file format.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from perfkit.io.base import MissingTableError
from perfkit.io.contract import TABLES

if TYPE_CHECKING:  # the decision's type only: the 涉密 decision reads the archive, which makes Datasets
    from perfkit.io.secrecy import Secrecy

QUARANTINE_COLUMNS = ["文件", "工作表", "行", "列", "期望", "实际", "说明"]


@dataclass
class TableRecord:
    """What loading one table left besides the table: notes, its row counts, its quarantined rows."""

    notes: list[str]
    count: dict[str, object]
    quarantine: pd.DataFrame


@dataclass
class Dataset:
    """The contract tables as loaded (internal column names), with what was quarantined and why."""

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    # per table loaded, in load order: its notes, its count row and its quarantined rows — so that two
    # loads of different tables of one source (perfkit score on two cores) combine into one as if loaded once
    records: dict[str, TableRecord] = field(default_factory=dict)
    # sheets the source has that this load left out (``only=``): what a command did not read, to say so
    unread: list[str] = field(default_factory=list)
    # the 涉密 decision over this input (perfkit.io.secrecy): what every command that writes names asks
    secrecy: Secrecy | None = None

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> pd.DataFrame:
        """The table, or a one-line :class:`MissingTableError` naming the sheet the step needs."""
        if name not in self.tables:
            sheet = next(t.sheet for t in TABLES if t.name == name)
            raise MissingTableError(f"{self.source} 中没有「{sheet}」表（工作表或 {sheet}.csv），这一步需要它")
        return self.tables[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def provenance(self) -> dict[str, object]:
        """Where the figures come from, for a report to say: the source's file name, the number of
        tables, and rows read = rows loaded + rows set aside by validation (over all tables)."""
        c = self.counts
        total = {col: int(c[col].sum()) if len(c) else 0 for col in ("读入", "载入", "隔离")}
        return {"source": Path(str(self.source)).name, "tables": len(c), "read": total["读入"],
                "loaded": total["载入"], "quarantined": total["隔离"]}


def summarize_records(dataset: Dataset, read_notes: list[str] | None = None) -> None:
    """``notes``, ``counts`` and ``quarantine`` from the per-table records, in contract table order."""
    order = [t.name for t in TABLES if t.name in dataset.records]
    recs = [dataset.records[name] for name in order]
    dataset.records = dict(zip(order, recs, strict=True))
    if read_notes is not None:
        dataset.notes = list(read_notes)
    dataset.notes.extend(n for r in recs for n in r.notes)
    nonempty = [r.quarantine for r in recs if len(r.quarantine)]
    dataset.quarantine = (pd.concat(nonempty, ignore_index=True) if nonempty
                          else pd.DataFrame(columns=QUARANTINE_COLUMNS))
    dataset.counts = pd.DataFrame([r.count for r in recs], columns=["表", "文件", "读入", "载入", "隔离"])


def take_records(dataset: Dataset, records: dict[str, TableRecord]) -> None:
    """Add the load records of tables loaded elsewhere (another process, the same source) to ``dataset``:
    its notes, counts and quarantine then read as if one load had read every table."""
    read_notes = dataset.notes[:len(dataset.notes) - sum(len(r.notes) for r in dataset.records.values())]
    dataset.records.update(records)
    summarize_records(dataset, read_notes)


def unify_categories(tables: dict[str, pd.DataFrame]) -> None:
    """Give every text column that several tables share (项目编码, 单位编码, 指标名称 …) one set of
    categories, in place. Joins, group-bys and comparisons across tables then work on the integer codes
    — a join of two 8-million-row tables on (项目编码, 指标名称) never hashes a string."""
    by_name: dict[str, list[str]] = {}
    for table, frame in tables.items():
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                by_name.setdefault(col, []).append(table)
    for col, owners in by_name.items():
        if len(owners) < 2:
            continue
        cats = [tables[t][col].cat.categories for t in owners]
        if all(c.equals(cats[0]) for c in cats[1:]):
            continue
        union = pd.Index(pd.unique(pd.concat([pd.Series(c, dtype="str") for c in cats], ignore_index=True)),
                         dtype="str")
        dtype = pd.CategoricalDtype(union)
        for t in owners:
            tables[t][col] = tables[t][col].astype(dtype)


def forget_lookups(frames: Iterable[pd.DataFrame]) -> None:
    """Drop the hash tables pandas keeps on each categorical column's categories once it has looked a
    value up: for Arrow text categories it holds a Python string per category beside them (at 1M projects
    0.3 GB per process for 项目编码, 项目名称 …). One is rebuilt where a later lookup needs it."""
    seen: set[int] = set()
    for frame in frames:
        for col in frame.columns:
            dtype = frame[col].dtype
            if isinstance(dtype, pd.CategoricalDtype) and id(dtype.categories) not in seen:
                seen.add(id(dtype.categories))
                dtype.categories._cache.pop("_engine", None)
