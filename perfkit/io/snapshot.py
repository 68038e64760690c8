"""The snapshot: a loaded :class:`~perfkit.io.dataset.Dataset` as typed Parquet (interim data), what
perfkit report's notebooks and the explorer read instead of parsing and validating the input again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from perfkit.io.base import SNAPSHOT_MARK, InputError
from perfkit.io.contract import TABLES
from perfkit.io.dataset import Dataset, unify_categories
from perfkit.io.secrecy import Secrecy


def save_snapshot(ds: Dataset, folder: Path) -> Path:
    """The loaded dataset as typed Parquet (interim data): what the report's notebooks read, so a
    workbook is parsed and validated once per run, not once per notebook. The raw input is untouched."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ds.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    ds.quarantine.astype(str).to_parquet(folder / "_quarantine.parquet", index=False)
    ds.counts.to_parquet(folder / "_counts.parquet", index=False)
    meta = {"source": ds.source, "notes": ds.notes, "tables": sorted(ds.tables),
            "secrecy": ds.secrecy.to_json() if ds.secrecy is not None else None}
    (folder / SNAPSHOT_MARK).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def load_snapshot(folder: Path) -> Dataset:
    """A snapshot :func:`save_snapshot` wrote, checked before anything in it is used: a malformed or
    empty ``perfkit_snapshot.json`` (or one naming tables it does not hold) is a clear error, and its
    ``source`` is only a label — nothing is read from where it points."""
    import json

    mark = folder / SNAPSHOT_MARK
    try:
        meta = json.loads(mark.read_text(encoding="utf-8"))
        assert isinstance(meta, dict) and isinstance(meta["notes"], list) and isinstance(meta["tables"], list)
        names = [str(n) for n in meta["tables"]]
        assert all(n in {t.name for t in TABLES} for n in names)
        source = str(meta["source"])
    except (OSError, ValueError, AssertionError, KeyError, TypeError) as exc:
        raise InputError(f"{mark}：数据快照标记文件为空或已损坏，无法使用（这是 perfkit 的内部文件；"
                         "请删去它所在的文件夹，或指定原始数据）") from exc
    ds = Dataset(source=source, notes=[str(n) for n in meta["notes"]])
    missing = [n for n in names if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(f"{folder}：数据快照不完整（缺少 {'、'.join(missing)}），无法使用；请用原始数据重新运行")
    ds.tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}
    ds.secrecy = Secrecy.from_json(meta.get("secrecy")) if meta.get("secrecy") is not None else None
    unify_categories(ds.tables)
    ds.quarantine = pd.read_parquet(folder / "_quarantine.parquet")
    ds.counts = pd.read_parquet(folder / "_counts.parquet")
    return ds
