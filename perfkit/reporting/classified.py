"""Which projects may be published: the 涉密 screen of ``perfkit disclose`` (DOMAIN.md §7), failing closed.

The loader keeps one reading of each row and sets aside rows it cannot validate — right for scoring, not
enough for publication: a 涉密 row quarantined as a duplicate, a second 涉密 column the loader ignores, a
blank or unreadable flag read as 否, or a 涉密 row of another year would let a classified project through.
So this screen reads the input's raw cells itself, every table and every year, and decides per 项目编码:

- **涉密** — a row in any table, any year, says 涉密 in any of its 涉密 columns (涉密 / 是否涉密 / 涉密项目 /
  密级 …; a column appearing twice counts if either says so), or the row sits in a sheet or file named
  as a 涉密 list. Such a code is held back everywhere and only counted in internal/.
- **待确认** — no row says 涉密, but a flag is unreadable, or blank in a column where other rows carry an
  explicit 否/无 (a ✓/空 column reads blank as 否), or the name carries 绝密/机密/秘密 (rulebook
  ``disclosure.secret_name_words``), or no row of the code carries a flag at all. Held back and listed in
  internal/ for the finance bureau to confirm.

With no recognisable 涉密 column anywhere (or only empty ones) nothing is published, unless the caller
declares that the dataset has no classified projects. Codes are compared after NFKC, without white
space and case, so ``P001`` and ``p001 `` are one code here (fail closed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io import values as V
from perfkit.io.base import InputError
from perfkit.io.contract import CLASSIFIED_ALIASES, CLASSIFIED_NEGATIONS, PROJECTS, classified_state
from perfkit.io.load import EXCEL_SUFFIXES, FOLDER_SUFFIXES, split_header

HEADER_SEARCH_ROWS = 20  # a title block above the header row is searched this far down
_PID_NAMES = {PROJECTS.column("project_id").header, *PROJECTS.column("project_id").aliases}
_NAME_NAMES = {PROJECTS.column("project_name").header, *PROJECTS.column("project_name").aliases}
_FLAG_NAMES = {"涉密", *CLASSIFIED_ALIASES}
PENDING_COLUMNS = ["项目编码", "项目名称", "年度", "原因", "文件", "工作表", "行"]
_YEAR_NAME = PROJECTS.column("year").header


class DisclosureRefused(InputError):
    """Publishing would risk a classified project; the one-line message says why and what to do."""


def code_key(text: object) -> str:
    """The comparison key of a 项目编码: NFKC, no white space, case folded, our export apostrophe off."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    return t.removeprefix("'").casefold()


def keys_of(series: pd.Series) -> pd.Series:
    """:func:`code_key` of a column, each distinct value once."""
    return V.map_unique(series.astype("object").where(series.notna(), ""), code_key)


def name_has(names: pd.Series, words: list[str]) -> pd.Series:
    """Does each name carry one of ``words`` (绝密 / 机密 / 秘密)? Each distinct name is searched once."""
    pattern = re.compile("|".join(map(re.escape, words)))
    return V.map_unique(names, lambda n: n is not None and n == n and pattern.search(str(n)) is not None, "bool")


@dataclass
class Screen:
    """The outcome of the screen over the raw input."""

    columns: list[str] = field(default_factory=list)  # 「表」列 of every 涉密 column found
    secret: set[str] = field(default_factory=set)  # code keys that are 涉密 somewhere
    flagged: set[str] = field(default_factory=set)  # code keys with at least one explicit 否/无 answer
    pending: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PENDING_COLUMNS))
    notes: list[str] = field(default_factory=list)
    filled: bool = False  # some 涉密 column holds a value


def _header_row(frame: pd.DataFrame) -> int | None:
    """Index of the first of the top rows that holds a 项目编码 header (title rows may come first)."""
    for i in range(min(HEADER_SEARCH_ROWS, len(frame))):
        if any(split_header(v)[0] in _PID_NAMES for v in frame.iloc[i] if isinstance(v, str)):
            return i
    return None


def _flag_kind(header: object) -> str | None:
    """'flag' for a 涉密 column, 'level' for a 密级 column, 'negated' for one meaning the opposite."""
    if not isinstance(header, str):
        return None
    name = split_header(header)[0]
    if any(n in name for n in CLASSIFIED_NEGATIONS):
        return "negated"
    if name in _FLAG_NAMES or "涉密" in name or "密级" in name:
        return "level" if ("密级" in name or "等级" in name) else "flag"
    return None


def _secret_list(name: str) -> bool:
    """A sheet or file named as a list of 涉密 projects (涉密项目清单): every code in it is 涉密."""
    return "涉密" in name and not any(n in name for n in CLASSIFIED_NEGATIONS)


def _tables(path: Path) -> Iterator[tuple[str, str, pd.DataFrame, Callable[[], pd.DataFrame]]]:
    """Every sheet of a workbook, or every .csv/.parquet of a folder, as ``(file, sheet, top rows, full
    reader)``; frames are read without a header (row i is Excel row i + 1)."""
    if path.is_file() and path.suffix.lower() in EXCEL_SUFFIXES:
        try:
            tops = pd.read_excel(path, sheet_name=None, header=None, nrows=HEADER_SEARCH_ROWS, engine="calamine",
                                 dtype=object)
        except Exception as exc:  # the loader has already read this file; any failure here fails closed
            raise DisclosureRefused(f"{path.name}：无法逐格复核涉密标识（{exc.__class__.__name__}），未公开任何文件") from exc
        for sheet, top in tops.items():
            def full(sheet: str = sheet) -> pd.DataFrame:
                return pd.read_excel(path, sheet_name=sheet, header=None, engine="calamine", dtype=object)
            yield path.name, re.sub(r"\s+", "", str(sheet)), top, full
        return
    if not path.is_dir():
        return
    for file in sorted(path.iterdir()):
        suffix = file.suffix.lower()
        if suffix not in FOLDER_SUFFIXES or not file.is_file():
            continue
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(file).names
            top = pd.DataFrame([names], dtype=object)

            def full(file: Path = file, names: list[str] = names) -> pd.DataFrame:
                body = pd.read_parquet(file).astype(object)
                return pd.concat([pd.DataFrame([names], dtype=object), pd.DataFrame(body.to_numpy())],
                                 ignore_index=True)
        else:
            top = _read_csv(file, HEADER_SEARCH_ROWS)

            def full(file: Path = file) -> pd.DataFrame:
                return _read_csv(file, None)
        yield file.name, file.stem.strip(), top, full


def _read_csv(file: Path, nrows: int | None) -> pd.DataFrame:
    """A CSV's raw cells (UTF-8 or GBK, as the loader reads them); one that cannot be read stops the
    disclosure — a table this screen cannot see might hold the 涉密 flags."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(file, header=None, dtype=object, keep_default_na=False, encoding=encoding,
                               nrows=nrows, skip_blank_lines=False)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
        except (pd.errors.ParserError, ValueError) as exc:
            raise DisclosureRefused(f"{file.name}：无法逐格复核涉密标识（不是有效的 CSV），未公开任何文件") from exc
    raise DisclosureRefused(f"{file.name}：编码既不是 UTF-8 也不是 GBK，无法逐格复核涉密标识，未公开任何文件")


def screen(path: str | Path, name_words: list[str]) -> Screen:
    """Read every table of the raw input and sort its 项目编码 into 涉密 / 待确认 (see the module doc)."""
    path = Path(path)
    out = Screen()
    pending: list[pd.DataFrame] = []
    try:
        _screen_tables(path, name_words, out, pending)
    except DisclosureRefused:
        raise
    except Exception as exc:  # any table this screen cannot read might hold the flags: fail closed
        raise DisclosureRefused(f"{path.name}：无法逐格复核涉密标识（{type(exc).__name__}），未公开任何文件") from exc
    if pending:
        out.pending = pd.concat(pending, ignore_index=True)
    else:
        out.pending = pd.DataFrame(columns=["_key", *PENDING_COLUMNS])
    return out


def _screen_tables(path: Path, name_words: list[str], out: Screen, pending: list[pd.DataFrame]) -> None:
    """The body of :func:`screen`: fills ``out`` and ``pending`` table by table."""
    for file, sheet, top, read_full in _tables(path):
        h = _header_row(top)
        if h is None:
            continue
        header = list(top.iloc[h])
        kinds = {i: _flag_kind(v) for i, v in enumerate(header)}
        negated = [str(header[i]) for i, k in kinds.items() if k == "negated"]
        if negated:
            raise DisclosureRefused(f"{file}「{sheet}」的列「{negated[0]}」与「涉密」含义相反，无法据此判断；"
                                    "请改为「涉密」列（是/否）后再公开，未公开任何文件")
        flags = [i for i, k in kinds.items() if k in ("flag", "level")]
        whole_list = _secret_list(sheet)
        if not flags and not whole_list:
            continue
        frame = read_full()
        body = frame.iloc[h + 1:]
        pid_col = next(i for i, v in enumerate(header) if isinstance(v, str) and split_header(v)[0] in _PID_NAMES)
        name_col = next((i for i, v in enumerate(header) if isinstance(v, str) and split_header(v)[0] in _NAME_NAMES),
                        None)
        codes = body.iloc[:, pid_col]
        has_code = ~V.is_blank(codes).to_numpy()
        body = body.loc[has_code]
        keys = keys_of(body.iloc[:, pid_col]).to_numpy()
        rows = body.index.to_numpy() + 1
        if whole_list:
            out.secret.update(keys)
            out.columns.append(f"{file}「{sheet}」（整表为涉密项目清单）")
            out.filled = out.filled or len(keys) > 0
        if len(flags) > 1:
            shown = "、".join(f"「{header[i]}」" for i in flags)
            out.notes.append(f"{file}「{sheet}」有 {len(flags)} 列涉密标识（{shown}）：任一列标为涉密即不公开")
        unclear = np.zeros(len(body), dtype=bool)
        unclear_why = np.full(len(body), "", dtype=object)
        for i in flags:
            out.columns.append(f"{file}「{sheet}」列「{header[i]}」")
            state = V.map_unique(body.iloc[:, i].astype(object), classified_state).to_numpy()
            explicit_no = (state == "clear").any()
            if (state != "blank").any():
                out.filled = True
            out.secret.update(keys[state == "secret"])
            blank_unclear = (state == "blank") & explicit_no & (kinds[i] == "flag")
            bad = state == "unreadable"
            why = np.where(bad, f"「{header[i]}」无法识别（应为 是/否 或 密级）",
                           np.where(blank_unclear, f"「{header[i]}」为空，而同表其他项目已填写", ""))
            unclear_why = np.where((unclear_why == "") & (why != ""), why, unclear_why)
            unclear |= bad | blank_unclear
            out.flagged.update(keys[(state == "clear") | ((state == "blank") & ~blank_unclear)])
        names = body.iloc[:, name_col].astype(object) if name_col is not None else None
        if names is not None and name_words:
            worded = name_has(names, name_words).to_numpy()
            unclear_why = np.where((unclear_why == "") & worded, "项目名称含涉密字样而未标为涉密", unclear_why)
            unclear |= worded
        if unclear.any():
            year_col = next((i for i, v in enumerate(header) if isinstance(v, str) and split_header(v)[0] == _YEAR_NAME),
                            None)
            years = (V.to_number(body.iloc[:, year_col].astype(object)).to_numpy()[unclear] if year_col is not None
                     else np.full(int(unclear.sum()), np.nan))
            pending.append(pd.DataFrame({
                "_key": keys[unclear], "项目编码": body.iloc[:, pid_col].to_numpy()[unclear],
                "项目名称": names.to_numpy()[unclear] if names is not None else "", "年度": years,
                "原因": unclear_why[unclear], "文件": file, "工作表": sheet, "行": rows[unclear]}))
