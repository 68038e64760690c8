"""The archive: every year's validated input and results in one embedded DuckDB file (no server).

The bureau runs perfkit every year; the second year it wants last year beside this year, and the
rulebook's multi-year rule (unsatisfactory two years running → redesign, a third → cancel) needs
earlier years' grades. This module only stores and reads frames — it imports nothing from the analyses
(io → rules → analyses → reporting): :mod:`perfkit.api` decides what a year's results are.

Layout of the file (default ``data/perfkit.duckdb``):
- ``archive_meta`` (key, value): the schema version, so a newer perfkit can migrate an older file;
- ``archive_years``: one row per archived year (when, rulebook profile and its version, source, perfkit);
- ``input_<table>``: the validated contract tables (internal names, money in 分), a ``year`` column added;
- ``result_<kind>``: project scores, indicator scores, findings, monitoring by month, ranking, proposal.
A year is replaced in one transaction: a run killed half-way leaves the previous content (DuckDB's
write-ahead log drops an uncommitted transaction on the next open). The file holds 涉密 rows — the
bureau needs them — so it is internal and never written into a publication folder.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from perfkit import __version__
from perfkit.io.base import InputError
from perfkit.io.contract import PROJECTS

DEFAULT_ARCHIVE = Path("data/perfkit.duckdb")
# the years a 项目.年度 may hold (the contract's bounds)
YEARS = (int(PROJECTS.column("year").minimum or 0), int(PROJECTS.column("year").maximum or 9999))
SCHEMA_VERSION = 2

# schema version → statements that bring a file from the version before it to this one
MIGRATIONS: dict[int, list[str]] = {
    1: ["CREATE TABLE IF NOT EXISTS archive_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "CREATE TABLE IF NOT EXISTS archive_years (year INTEGER PRIMARY KEY, added_at TIMESTAMP, "
        "profile VARCHAR, source VARCHAR)"],
    2: ["ALTER TABLE archive_years ADD COLUMN IF NOT EXISTS profile_version VARCHAR",
        "ALTER TABLE archive_years ADD COLUMN IF NOT EXISTS perfkit_version VARCHAR",
        "ALTER TABLE archive_years ADD COLUMN IF NOT EXISTS as_of_month INTEGER"],
}


ARCHIVE_NAME = DEFAULT_ARCHIVE.name


def locate(data: str | Path | None = None) -> Path:
    """Where the archive of ``data`` is: the one place that decides it (notebooks, explorer, commands).

    The archive sits beside the data — ``perfkit.duckdb`` in the folder of the workbook (a CSV folder's
    parent): ``data/demo/demo.xlsx`` → ``data/demo/perfkit.duckdb`` (what ``make demo`` builds),
    ``data/2023.xlsx`` → ``data/perfkit.duckdb``. An existing file further up (a year's workbook kept in
    ``data/demo/2021/``) is found too. Without data: ``data/perfkit.duckdb``."""
    if data is None:
        return DEFAULT_ARCHIVE
    path = Path(data)
    start = path.parent  # a workbook's folder, or a CSV folder's parent
    for folder in (start, *start.parents)[:3]:
        if (folder / ARCHIVE_NAME).exists():
            return folder / ARCHIVE_NAME
    return start / ARCHIVE_NAME


def _duckdb():
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise InputError("年度档案需要 duckdb：pip install duckdb") from exc
    return duckdb


@contextmanager
def connect(path: str | Path = DEFAULT_ARCHIVE, read_only: bool = False) -> Iterator[object]:
    """An open archive, migrated to :data:`SCHEMA_VERSION` (created when it does not exist yet)."""
    duckdb = _duckdb()
    path = Path(path)
    if not read_only:  # the archive holds 涉密 rows: never inside a publication folder
        from perfkit.io.outputs import refuse_public

        refuse_public(path, "archive", "年度档案")
    if read_only and not path.exists():
        raise InputError(f"年度档案 {path} 不存在（先运行 perfkit archive add）")
    _check_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise InputError(f"无法打开年度档案 {path}：{_duckdb_reason(exc)}") from exc
    try:
        for option in NO_EXTENSIONS:  # a data file never makes DuckDB load (or download) an extension
            con.execute(f"SET {option} = false")
        if not read_only:
            migrate(con)
        yield con
    except duckdb.Error as exc:
        raise InputError(f"年度档案 {path}：{_duckdb_reason(exc)}") from exc
    finally:
        con.close()


# set on every connection (not as connect-time configuration: a notebook's own connection to the same
# file would then be refused as "a different configuration"); a file that is not DuckDB's never reaches
# DuckDB at all (:func:`_check_file`), so nothing can make it load the SQLite extension at open
NO_EXTENSIONS = ("autoinstall_known_extensions", "autoload_known_extensions")
DUCKDB_MAGIC = b"DUCK"  # bytes 8–11 of every DuckDB database file


def _check_file(path: Path) -> None:
    """Refuse, before DuckDB sees it, a path that is not a DuckDB file: a folder, a device, a SQLite
    database (DuckDB would try to load its SQLite extension), any other file."""
    if not path.exists():
        return
    if not path.is_file():
        raise InputError(f"年度档案 {path} 不是普通文件（是文件夹或设备），无法使用")
    with path.open("rb") as f:
        head = f.read(16)
    if head and head[8:12] != DUCKDB_MAGIC:
        what = "SQLite 数据库" if head.startswith(b"SQLite format 3") else "其他格式的文件，或已损坏"
        raise InputError(f"{path} 不是 perfkit 的年度档案（DuckDB 文件），而是{what}；未读取也未改动。"
                         "请指定 perfkit archive add 写出的档案文件")


def duckdb_error() -> type[BaseException]:
    """DuckDB's base error class (DuckDB is imported only when an archive is used)."""
    return _duckdb().Error


def _first_cause(exc: BaseException) -> BaseException:
    """The error that started it: DuckDB answers every statement after a failed write with "transaction is
    aborted", which says nothing about the disk that was full."""
    seen = {id(exc)}
    first = exc
    while first.__context__ is not None and id(first.__context__) not in seen and \
            type(first.__context__).__module__.split(".")[0].lstrip("_") == "duckdb":
        first = first.__context__
        seen.add(id(first))
    return first


def _duckdb_reason(exc: BaseException) -> str:
    """DuckDB's English error, in the user's terms (judged on the error that started it)."""
    exc = _first_cause(exc)
    text = str(exc)
    low = text.lower()
    if any(w in low for w in ("no space", "disk full", "cannot rollback", "could not write", "write failed",
                              "out of disk")):
        return "写入失败（磁盘空间不足或磁盘出错），本次写入已撤销，档案保持原样；请腾出磁盘空间后重试"
    if "not a valid duckdb" in low or "could not read enough bytes" in low or "corrupt" in low or "checksum" in low:
        return "文件已损坏或不完整（例如复制中断），无法读取；请用备份恢复"
    if "lock" in low:
        return "档案正被另一个程序使用（另一次 perfkit 运行或其他软件），请稍后再试"
    if "version" in low and "storage" in low:
        return "文件由更新版本的 DuckDB 写出，请升级 perfkit"
    if "extension" in low:
        return "文件需要 DuckDB 扩展才能读取，perfkit 不从数据文件加载扩展；请指定 perfkit archive add 写出的档案文件"
    return f"读写失败（{type(exc).__name__}），文件可能已损坏，或不是 perfkit 写出的档案"


def schema_version(con) -> int:
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'archive_meta'").fetchone()
    if not exists[0]:
        return 0
    row = con.execute("SELECT value FROM archive_meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else 0
    except (TypeError, ValueError):
        raise InputError(f"年度档案的结构版本「{row[0]}」不是 perfkit 写出的版本号，档案可能被其他程序改动过；"
                         "未读取也未改动") from None


def _refuse_newer(con) -> None:
    if schema_version(con) > SCHEMA_VERSION:
        raise InputError(f"年度档案的结构版本为 {schema_version(con)}，高于本程序支持的 {SCHEMA_VERSION}，请升级 perfkit")


def migrate(con) -> int:
    """Apply the migrations a file lacks, each in its own transaction; returns the version reached."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise InputError(f"年度档案的结构版本为 {current}，高于本程序支持的 {SCHEMA_VERSION}，请升级 perfkit")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        for statement in MIGRATIONS[version]:
            con.execute(statement)
        con.execute("INSERT OR REPLACE INTO archive_meta VALUES ('schema_version', ?)", [str(version)])
        con.execute("COMMIT")
    return SCHEMA_VERSION


def _storable(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Plain columns DuckDB stores the same way every year: categoricals as text (DuckDB would make
    them ENUMs whose members differ from year to year), the archived ``year`` first. A table's own
    year column (项目.年度) is kept as ``row_year``: a code may carry rows of other years."""
    out = pd.DataFrame(index=range(len(frame)))
    out["year"] = pd.Series([int(year)] * len(frame), dtype="int32")
    for c in frame.columns:
        col = frame[c].reset_index(drop=True)
        if c == "year":
            c = "row_year"
        if isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(col.dtype):
            col = col.astype(object).where(col.notna(), None)
        out[str(c)] = col
    return out


def _table_exists(con, name: str) -> bool:
    """Whether the archive has table ``name``; a view of that name (perfkit never writes one) is refused."""
    kinds = [r[0] for r in con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                                       [name]).fetchall()]
    if any(k != "BASE TABLE" for k in kinds):
        raise InputError(f"年度档案中的「{name}」是视图而不是 perfkit 写出的表，档案可能被其他程序改动过；未读取也未改动")
    return bool(kinds)


def _insert(con, name: str, frame: pd.DataFrame) -> None:
    """Insert by column name; a table gains the columns a newer perfkit writes (schema growth), and a
    column whose type changed is widened to text rather than refused."""
    con.register("_incoming", frame)
    try:
        if not _table_exists(con, name):
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _incoming LIMIT 0')
        have = {r[0]: r[1] for r in con.execute(f'DESCRIBE "{name}"').fetchall()}
        incoming = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM _incoming").fetchall()}
        for column, kind in incoming.items():
            if column not in have:
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}')
            elif have[column] != kind and "NULL" not in (kind, have[column]):
                con.execute(f'ALTER TABLE "{name}" ALTER COLUMN "{column}" TYPE VARCHAR')
        if len(frame):
            con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _incoming')
    finally:
        try:  # after a failed write DuckDB refuses even this ("transaction is aborted"): the write's own
            con.unregister("_incoming")  # error is the one to report
        except duckdb_error():
            pass


def add_year(path: str | Path, year: int, inputs: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame],
             profile: str = "", profile_version: str = "", source: str = "", as_of_month: int | None = None) -> None:
    """Store (or replace) one year: its validated input tables and its results, in one transaction."""
    year = int(year)
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(f"年度 {year} 超出可存入的范围（{YEARS[0]}–{YEARS[1]}），未存入年度档案")
    with connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            _delete_year(con, year)
            for prefix, frames in (("input_", inputs), ("result_", results)):
                for kind, frame in frames.items():
                    if frame is not None:
                        _insert(con, prefix + kind, _storable(frame, year))
            _pause_for_tests()
            con.execute("INSERT INTO archive_years (year, added_at, profile, source, profile_version, "
                        "perfkit_version, as_of_month) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [year, dt.datetime.now().replace(microsecond=0), profile, source, profile_version,
                         __version__, as_of_month])
            con.execute("COMMIT")
        except BaseException:
            try:  # the error that stopped the write is the one to report, not a failed rollback after it
                con.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - DuckDB drops an uncommitted transaction on the next open
                pass
            raise


def _pause_for_tests() -> None:
    """The kill test stops a write half-way: PERFKIT_ARCHIVE_PAUSE seconds inside the transaction."""
    pause = os.environ.get("PERFKIT_ARCHIVE_PAUSE")
    if pause:
        import time

        print("archive: writing", flush=True)
        time.sleep(float(pause))


def _archived_tables(con) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'input\\_%' ESCAPE '\\' "
                       "OR table_name LIKE 'result\\_%' ESCAPE '\\'").fetchall()
    return sorted(r[0] for r in rows)


def _delete_year(con, year: int) -> bool:
    existed = bool(con.execute("SELECT count(*) FROM archive_years WHERE year = ?", [year]).fetchone()[0])
    for name in _archived_tables(con):
        con.execute(f'DELETE FROM "{name}" WHERE year = ?', [year])
    con.execute("DELETE FROM archive_years WHERE year = ?", [year])
    return existed


def drop_year(path: str | Path, year: int) -> bool:
    """Remove one year; returns whether it was there."""
    with connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        existed = _delete_year(con, int(year))
        con.execute("COMMIT")
    return existed


def years(path: str | Path = DEFAULT_ARCHIVE) -> pd.DataFrame:
    """The archived years, oldest first (empty when the file does not exist)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=["year", "added_at", "profile", "profile_version", "source", "as_of_month"])
    with connect(path, read_only=True) as con:  # readers never lock others out (two report kernels read at once)
        _refuse_newer(con)
        # a reader does not migrate: a file written by an older version lacks the newer columns until the
        # next write, and shows them empty
        have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'archive_years'").fetchall()}
        wanted = ("year", "added_at", "profile", "profile_version", "source", "as_of_month", "perfkit_version")
        select = ", ".join(c if c in have else f"NULL AS {c}" for c in wanted)
        return con.execute(f"SELECT {select} FROM archive_years ORDER BY year").df()


def read(path: str | Path, kind: str, only: list[int] | None = None) -> pd.DataFrame | None:
    """An archived table (``result_projects``, ``input_self_eval`` …) for all years or ``only`` these."""
    if not Path(path).exists():
        return None
    with connect(path, read_only=True) as con:
        if not _table_exists(con, kind):
            return None
        where = f" WHERE year IN ({', '.join(str(int(y)) for y in only)})" if only else ""
        return con.execute(f'SELECT * FROM "{kind}"{where} ORDER BY year').df()


def dataset(path: str | Path, year: int):
    """The validated input of an archived year as a :class:`~perfkit.io.dataset.Dataset` (to re-run or
    explore that year exactly as it was loaded)."""
    from perfkit.io.contract import BY_NAME
    from perfkit.io.dataset import Dataset

    tables = {}
    for name in BY_NAME:
        frame = read(path, "input_" + name, only=[int(year)])
        if frame is not None and len(frame):
            frame = frame.drop(columns="year").rename(columns={"row_year": "year"})
            tables[name] = frame
    if not tables:
        raise InputError(f"年度档案 {path} 中没有 {year} 年度的数据")
    return Dataset(f"{Path(path).name}（{year}年度）", tables)


def grade_history(path: str | Path, before: int, code_map: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Earlier years' recomputed grades (project_id, year, grade) for the multi-year rule, with codes
    carried forward through ``code_map`` (old_id → new_id) so a renumbered project keeps its history."""
    projects = read(path, "result_projects")
    if projects is None or projects.empty:
        return None
    history = projects.loc[projects["year"] < int(before), ["project_id", "year", "grade"]]
    if code_map is not None and len(code_map):
        history = history.assign(project_id=carry_codes(history["project_id"], code_map))
    return history.reset_index(drop=True) if len(history) else None


def carry_codes(codes: pd.Series, code_map: pd.DataFrame) -> pd.Series:
    """Old project codes followed through the mapping (old_id → new_id), chains included (A→B→C)."""
    step = dict(zip(code_map["old_id"].astype(str), code_map["new_id"].astype(str), strict=True))
    final = {}
    for old in step:
        seen, new = {old}, step[old]
        while new in step and new not in seen:  # a cycle in the mapping stops where it would repeat
            seen.add(new)
            new = step[new]
        final[old] = new
    text = codes.astype(str)
    return text.map(final).fillna(text)
