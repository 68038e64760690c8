"""涉密: the one decision every command asks before it writes a project's code or name anywhere.

A leak is the one error a bureau cannot undo, so 涉密 is decided once, on the loader's own reading of
the input — the header row it found, merged cells spread as Excel shows them, the columns it named,
Parquet read as the loader reads it — and every door (report, annex, allocation, letters, explorer,
disclose) asks this decision rather than reading the files a second time. The screen adds what the raw
cells can tell beyond validation, and can only make the set stricter:

- a value in **any** 涉密-like column (涉密 / 是否涉密 / 涉密项目 / 密级 …, a second one, one the contract
  does not know, one in another table), read before validation sets rows aside — a 涉密 row quarantined
  as a duplicate still makes its code 涉密;
- a sheet or file named as a 涉密 list (涉密项目清单, any sheet of a workbook beside the CSVs): every code
  in it is 涉密; a list without a code column stops the command;
- a 涉密 column in 单位: every project of that unit is 涉密;
- history: a code 涉密 in any year is 涉密 in all, and so is every code linked to it through 编码变更
  (in the data or in the archive), and every code the archive holds as 涉密.

Where the loader's reading and the raw cells disagree about a table's structure — a 涉密 label above the
header row with no 涉密 column under it, a header that means the opposite (是否非涉密) — the command
refuses and names the table. Headers, values, sheet and project names are compared after
:func:`~perfkit.io.contract.fold` (NFKC, white space and zero-width characters, traditional 機密).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io import values as V
from perfkit.io.base import InputError
from perfkit.io.contract import (
    CLASSIFIED_ALIASES,
    CLASSIFIED_NEGATIONS,
    PROJECTS,
    TABLES,
    UNITS,
    classified_state,
    fold,
)

PENDING_COLUMNS = ["项目编码", "项目名称", "年度", "原因", "文件", "工作表", "行"]
NAME_COLUMNS = ["_key", "项目编码", "项目名称", "年度", "文件", "工作表", "行"]
_FLAG_NAMES = {"涉密", *CLASSIFIED_ALIASES}
CODE_HEADS = {PROJECTS.column("project_id").header, *PROJECTS.column("project_id").aliases, "项目代码", "项目编号"}
# a 涉密 list may name its code column more loosely (编码, 代码, 项目代码 …)
LIST_CODE_HEADS = {*CODE_HEADS, "编码", "代码", "编号", "项目码"}
UNIT_HEADS = {UNITS.column("unit_id").header, *UNITS.column("unit_id").aliases, "单位代码"}
NAME_HEADS = {PROJECTS.column("project_name").header, *PROJECTS.column("project_name").aliases}
YEAR_HEADS = {PROJECTS.column("year").header}


class SecrecyRefused(InputError):
    """The data does not let perfkit decide which projects are 涉密; the message names the table."""


def head(header: object) -> str:
    """A header as compared here: folded, the bracketed unit or hint dropped (是否涉密（是/否） → 是否涉密)."""
    text = fold(header)
    return re.sub(r"[(\[【][^)\]】]*[)\]】]$", "", text) or text


def code_key(text: object) -> str:
    """The comparison key of a 项目编码 or 单位编码: folded and case folded (P001 and ``p001 `` are one)."""
    return fold(text).casefold()


# codes that :func:`code_key` only lower-cases: printable ASCII without white space, not starting with the
# Excel text apostrophe (NFKC leaves them as they are, nothing in them is invisible or traditional)
_PLAIN_CODE = r"[!-&(-~][!-~]*"


def category_keys(categories: pd.Index) -> np.ndarray:
    """:func:`code_key` of each category: the plain ASCII codes (nearly all) lower-cased at once, the rest
    one by one (a province's million distinct 项目编码 each went through NFKC: seconds per process)."""
    text = pd.Series(categories, dtype="string")
    plain = text.str.fullmatch(_PLAIN_CODE).fillna(False).to_numpy(bool)
    keys = text.str.lower().astype(object).to_numpy().copy()  # (the arrow-backed array is read-only)
    for i in np.flatnonzero(~plain):
        keys[i] = code_key(categories[i])
    return keys


def keys_of(series: pd.Series) -> pd.Series:
    """:func:`code_key` of a column, each distinct value once (blank → "")."""
    values = series.array
    if isinstance(values, pd.Categorical):  # a loaded column: its categories, without an object per row first
        keys = np.append(category_keys(values.categories), code_key(""))
        return pd.Series(keys[np.asarray(values.codes)], index=series.index)  # code −1 (blank) takes the last
    return V.map_unique(series.astype("object").where(series.notna(), ""), code_key)


def flag_kind(header: object) -> str | None:
    """'flag' for a 涉密 column, 'level' for a 密级 column, 'negated' for one meaning the opposite."""
    if header is None or (isinstance(header, float) and header != header):
        return None
    name = head(header)
    if any(n in name for n in CLASSIFIED_NEGATIONS):
        return "negated" if ("涉密" in name or "密" in name) else None
    if name in _FLAG_NAMES or "涉密" in name or "密级" in name:
        return "level" if ("密级" in name or "等级" in name) else "flag"
    return None


def secret_list(name: object) -> bool:
    """A sheet or file named as a list of 涉密 projects (涉密项目清单, 涉密项目): every code in it is 涉密."""
    text = fold(name)
    return "涉密" in text and not any(n in text for n in CLASSIFIED_NEGATIONS)


def name_has(names: pd.Series, words: Iterable[str]) -> pd.Series:
    """Does each name carry one of ``words`` (绝密 / 机密 / 秘密), after folding (機 密, 秘\u200b密)?"""
    words = [fold(w) for w in words]
    if not words:
        return pd.Series(False, index=names.index)
    pattern = re.compile("|".join(map(re.escape, words)))
    return V.map_unique(names, lambda n: n is not None and n == n and pattern.search(fold(n)) is not None, "bool")


@dataclass
class Secrecy:
    """The 涉密 decision over one input (see the module doc)."""

    columns: list[str] = field(default_factory=list)  # 「表」列 of every 涉密 column or list read
    secret: set[str] = field(default_factory=set)  # code keys 涉密 somewhere
    secret_units: set[str] = field(default_factory=set)  # unit keys 涉密 (all their projects are)
    flagged: set[str] = field(default_factory=set)  # code keys with at least one explicit answer
    pending: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["_key", *PENDING_COLUMNS]))
    names: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NAME_COLUMNS))  # 项目 rows as read
    links: list[tuple[str, str]] = field(default_factory=list)  # (old, new) code keys from 编码变更
    notes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # where the structure is unclear: the command refuses
    filled: bool = False  # some 涉密 column holds a value
    contract_column: bool = False  # the loader read a 涉密 column of 项目 (never advise --no-classified then)
    history: list[str] = field(default_factory=list)  # where history was read (archive)
    from_snapshot: bool = False  # read back from a snapshot: never the basis of a publication

    def refuse_if_unclear(self) -> None:
        """Stop with the first structural disagreement, naming the table."""
        if self.conflicts:
            more = f"（另有 {len(self.conflicts) - 1} 处）" if len(self.conflicts) > 1 else ""
            raise SecrecyRefused(self.conflicts[0] + more)

    def to_json(self) -> dict[str, object]:
        """What a snapshot keeps of the decision (the codes, never names)."""
        return {"columns": self.columns, "secret": sorted(self.secret), "secret_units": sorted(self.secret_units),
                "flagged": sorted(self.flagged), "links": [list(x) for x in self.links], "notes": self.notes,
                "filled": self.filled, "contract_column": self.contract_column, "history": self.history}

    @classmethod
    def from_json(cls, meta: object) -> Secrecy:
        """A snapshot's decision, checked: anything malformed is refused, never trusted half-way."""
        try:
            assert isinstance(meta, dict)
            out = cls(columns=[str(x) for x in meta["columns"]], secret={str(x) for x in meta["secret"]},
                      secret_units={str(x) for x in meta["secret_units"]}, flagged={str(x) for x in meta["flagged"]},
                      links=[(str(a), str(b)) for a, b in meta["links"]], notes=[str(x) for x in meta["notes"]],
                      filled=bool(meta["filled"]), contract_column=bool(meta["contract_column"]),
                      history=[str(x) for x in meta["history"]])
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise SecrecyRefused("数据快照中的涉密判定不完整或已损坏，无法使用；请用原始数据重新运行") from exc
        out.from_snapshot = True
        return out


def _all_heads() -> set[str]:
    """Every header a form may carry: a first data row naming several of them is a second header row."""
    return {head(n) for t in TABLES for c in t.columns for n in (c.header, *c.aliases)} | _FLAG_NAMES


def _first_row(frame: pd.DataFrame) -> list[object]:
    """The first data row's cells, column by column (``frame.iloc[0]`` first finds a type common to all
    columns: with a million-category column that compared the categories, 0.4 s a table)."""
    return [frame.iloc[0, j] for j in range(frame.shape[1])] if len(frame) else []


def _second_head(sec: Secrecy, frame: pd.DataFrame, labels: list[object], header_row: int, what: str) -> None:
    """A head of two rows the loader read as one (a CSV, or a sheet without merged cells): the first data
    row names several headers. If a 涉密 label is involved, which column holds the flag is unclear."""
    if not len(frame):
        return
    first = _first_row(frame)
    known = _all_heads()
    named = [j for j, v in enumerate(first) if isinstance(v, str) and head(v) in known]
    if len(named) < 2:
        return
    if any(flag_kind(first[j]) or flag_kind(labels[j]) for j in named) or any(
            flag_kind(v) for v in first if isinstance(v, str)) or any(flag_kind(x) for x in labels):
        sec.conflicts.append(f"{what}：表头似乎占两行（第 {header_row} 行和第 {header_row + 1} 行），其中有涉密标题，"
                             "无法确定哪一列标明涉密，未写出任何文件。请把表头合并为一行（如「涉密」列填 是/否）")


def _where(file: str, sheet: str) -> str:
    return f"{file}「{sheet}」" if sheet and sheet != Path(file).stem else file


def _above_labels(sec: Secrecy, labels: list[object], above: list[list[object]], first_row: int, what: str,
                  flag_cols: set[int]) -> None:
    """A 涉密 label in a row above the header (a group label of a two-row head, a title) must stand over
    a 涉密 column the header row names; otherwise the loader's header and the raw cells disagree."""
    width = len(labels)
    for r, row in enumerate(above):
        cells = [(c, v) for c, v in enumerate(row[:width]) if V.normalize_text(v) is not None]
        if len({fold(v) for _, v in cells}) == 1 and cells[0][0] == 0:
            continue  # a title (one text from the first column on), not a group label over some columns
        for k, (c, v) in enumerate(cells):
            kind = flag_kind(v)
            if kind is None or (k and cells[k - 1][0] == c - 1 and fold(cells[k - 1][1]) == fold(v)):
                continue  # not a 涉密 label, or the continuation of a merged one (spread over its columns)
            end = width
            for c2, v2 in cells[k + 1:]:  # the label covers the columns up to the next different label
                if fold(v2) != fold(v):
                    end = c2
                    break
            if not any(c <= j < end for j in flag_cols):
                sec.conflicts.append(
                    f"{what}：第 {first_row + r} 行的「{V.cell_text(v)}」在表头上方，而表头行（第 {first_row + len(above)}"
                    " 行）在它下面没有涉密列：无法确定哪一列标明涉密，未写出任何文件。请把涉密列的表头写成一行"
                    "（如「涉密」，填 是/否），不要用分组标题")
                return


def screen_table(sec: Secrecy, frame: pd.DataFrame, file: str, sheet: str, header_row: int,
                 above: list[list[object]] | None = None, whole_list: bool = False, contract: str | None = None,
                 ) -> None:
    """Screen one table as the loader read it: ``frame`` (its labels are the header cells, row i is Excel
    row ``header_row + 1 + i`` unless the index says otherwise), the rows ``above`` the header (from
    Excel row ``header_row - len(above)``). ``contract``: the contract table it is (``projects`` …)."""
    what = _where(file, sheet)
    labels = list(frame.columns)
    heads = [head(x) for x in labels]
    kinds = {i: flag_kind(x) for i, x in enumerate(labels)}
    negated = [str(labels[i]) for i, k in kinds.items() if k == "negated"]
    if negated:
        sec.conflicts.append(f"{what}：列「{negated[0]}」与「涉密」含义相反，无法据此判断哪些项目涉密，未写出任何文件；"
                             "请改为「涉密」列（是/否）")
        return
    flag_cols = [i for i, k in kinds.items() if k in ("flag", "level")]
    if above and not whole_list:
        _above_labels(sec, labels, above, header_row - len(above), what, set(flag_cols))
    if flag_cols or any(flag_kind(v) for v in _first_row(frame) if isinstance(v, str)):
        _second_head(sec, frame, labels, header_row, what)
    code_heads = LIST_CODE_HEADS if whole_list else CODE_HEADS
    pid = next((i for i, h in enumerate(heads) if h in code_heads), None)
    uid = next((i for i, h in enumerate(heads) if h in UNIT_HEADS), None)
    if contract == "code_changes":
        _links(sec, frame)
        return
    if whole_list and pid is None:
        sec.conflicts.append(f"{what}：按名称是涉密项目清单，但找不到项目编码列（表头应有「项目编码」），"
                             "无法确定哪些项目涉密，未写出任何文件")
        return
    if not flag_cols and not whole_list:
        return
    key_col = pid if pid is not None else (uid if contract == "units" or (pid is None and uid is not None) else None)
    if key_col is None:
        sec.notes.append(f"{what}：有涉密列但没有项目编码或单位编码列，无法对应到项目")
        return
    by_unit = key_col == uid and pid is None
    target = sec.secret_units if by_unit else sec.secret
    codes = frame.iloc[:, key_col]
    has_code = ~V.is_blank(codes).to_numpy()
    body = frame.loc[has_code]
    keys = keys_of(body.iloc[:, key_col]).to_numpy()
    index = body.index.to_numpy()
    rows = (index if pd.api.types.is_integer_dtype(index) else np.arange(len(body))) + header_row + 1
    if whole_list:
        target.update(keys)
        sec.columns.append(f"{what}（整表为涉密项目清单）")
        sec.filled = sec.filled or len(keys) > 0
    if len(flag_cols) > 1:
        shown = "、".join(f"「{labels[i]}」" for i in flag_cols)
        sec.notes.append(f"{what} 有 {len(flag_cols)} 列涉密标识（{shown}）：任一列标为涉密即按涉密处理")
    if contract == "projects" and flag_cols:
        sec.contract_column = True
    name_col = next((i for i, h in enumerate(heads) if h in NAME_HEADS), None)
    year_col = next((i for i, h in enumerate(heads) if h in YEAR_HEADS), None)
    years = (V.to_number(body.iloc[:, year_col].astype(object)).to_numpy() if year_col is not None
             else np.full(len(body), np.nan))
    names = body.iloc[:, name_col].astype(object).to_numpy() if name_col is not None else np.full(len(body), "")
    unclear = np.zeros(len(body), dtype=bool)
    why = np.full(len(body), "", dtype=object)
    for i in flag_cols:
        sec.columns.append(f"{what} 列「{labels[i]}」")
        state = V.map_unique(body.iloc[:, i].astype(object), classified_state).to_numpy()
        if (state != "blank").any():
            sec.filled = True
        secret = state == "secret"
        bad = state == "unreadable"
        if by_unit:  # an unreadable flag of a unit: its projects held as 涉密 (fail closed)
            target.update(keys[secret | bad])
            if bad.any():
                sec.notes.append(f"{what}：{int(bad.sum())} 个单位的「{labels[i]}」无法识别，其项目按涉密处理")
            continue
        target.update(keys[secret])
        explicit_no = (state == "clear").any()
        blank_unclear = (state == "blank") & explicit_no & (kinds[i] == "flag")
        reason = np.where(bad, f"「{labels[i]}」无法识别（应为 是/否 或 密级）",
                          np.where(blank_unclear, f"「{labels[i]}」为空，而同表其他项目已填写", ""))
        why = np.where((why == "") & (reason != ""), reason, why)
        unclear |= bad | blank_unclear
        sec.flagged.update(keys[(state == "clear") | ((state == "blank") & ~blank_unclear)])
    if unclear.any():
        sec.pending = pd.concat([sec.pending, pd.DataFrame({
            "_key": keys[unclear], "项目编码": body.iloc[:, key_col].to_numpy()[unclear], "项目名称": names[unclear],
            "年度": years[unclear], "原因": why[unclear], "文件": file, "工作表": sheet, "行": rows[unclear]})],
            ignore_index=True)
    if contract == "projects" and not by_unit:
        # every 项目 row, kept to the end of the run: its texts as Arrow strings, not a Python object per
        # cell (at 1M projects 0.4 GB less in each process that loads 项目)
        read = pd.DataFrame({"_key": pd.array(keys, dtype="str"), "项目编码": pd.array(body.iloc[:, key_col].astype(object),
                                                                                     dtype="str"),
                             "项目名称": pd.array(names, dtype="str"), "年度": years, "文件": file, "工作表": sheet,
                             "行": rows})
        sec.names = read if not len(sec.names) else pd.concat([sec.names, read], ignore_index=True)


def _links(sec: Secrecy, frame: pd.DataFrame) -> None:
    """编码变更: (原项目编码, 新项目编码) pairs, as code keys."""
    heads = [head(x) for x in frame.columns]
    old = next((i for i, h in enumerate(heads) if h == "原项目编码"), None)
    new = next((i for i, h in enumerate(heads) if h == "新项目编码"), None)
    if old is None or new is None:
        return
    a, b = keys_of(frame.iloc[:, old]).to_numpy(), keys_of(frame.iloc[:, new]).to_numpy()
    sec.links.extend((x, y) for x, y in zip(a, b, strict=True) if x and y)


def follow_links(sec: Secrecy) -> None:
    """A code linked through 编码变更 (either way, chains included) to a 涉密 code is 涉密."""
    if not sec.links or not sec.secret:
        return
    neighbours: dict[str, set[str]] = {}
    for a, b in sec.links:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    todo = [k for k in sec.secret if k in neighbours]
    while todo:
        k = todo.pop()
        for n in neighbours.get(k, ()):
            if n not in sec.secret:
                sec.secret.add(n)
                todo.append(n)


def add_archive(sec: Secrecy, archive: str | Path | None) -> None:
    """Codes the archive holds as 涉密 in any year, and its 编码变更, join the decision."""
    if archive is None or not Path(archive).is_file():
        return
    from perfkit.io import archive as arc

    projects = arc.read(archive, "input_projects")
    if projects is not None and len(projects) and "classified" in projects:
        flagged = projects.loc[projects["classified"].fillna(False).astype(bool), "project_id"]
        sec.secret.update(keys_of(flagged.astype(object)).tolist())
    units = arc.read(archive, "input_units")
    if units is not None and len(units) and "classified" in units:
        flagged = units.loc[units["classified"].fillna(False).astype(bool), "unit_id"]
        sec.secret_units.update(keys_of(flagged.astype(object)).tolist())
    changes = arc.read(archive, "input_code_changes")
    if changes is not None and len(changes):
        _links(sec, changes.rename(columns={"old_id": "原项目编码", "new_id": "新项目编码"}))
    sec.history.append(str(archive))
    sec.columns.append(f"年度档案 {Path(archive).name}")


def apply(sec: Secrecy, tables: dict[str, pd.DataFrame]) -> None:
    """Make the loaded 项目 table say what the decision says: ``classified`` is True for every code the
    decision holds (and for every project of a 涉密 unit); the decision then lists every such code."""
    follow_links(sec)
    p = tables.get("projects")
    if p is None or not len(p):
        return
    keys = keys_of(p["project_id"])
    flag = p["classified"].fillna(False).astype(bool).to_numpy() if "classified" in p else np.zeros(len(p), bool)
    flag = flag | keys.isin(sec.secret).to_numpy()
    if sec.secret_units and "unit_id" in p:
        flag = flag | keys_of(p["unit_id"]).isin(sec.secret_units).to_numpy()
    sec.secret.update(keys[flag].tolist())
    follow_links(sec)
    flag = flag | keys.isin(sec.secret).to_numpy()
    p["classified"] = flag


def classified_codes(tables: dict[str, pd.DataFrame]) -> set[str]:
    """The code keys a loaded dataset treats as 涉密 (what every door hides): for the tests' agreement."""
    p = tables.get("projects")
    if p is None:
        return set()
    return set(keys_of(p.loc[p["classified"].astype(bool), "project_id"]))


def decide(ds: object, archive: str | Path | None = None) -> Secrecy:
    """The decision for a loaded dataset (``ds.secrecy``, made by the loader), with the archive's
    history added when there is one — the function every door that writes project names asks. The
    dataset's 项目 table is brought in line (``classified``); a structure perfkit cannot read stops here."""
    sec = getattr(ds, "secrecy", None)
    if sec is None:
        raise SecrecyRefused("这份数据没有经过 perfkit 的涉密核对（不是由 perfkit 读入的原始数据），未写出任何文件")
    sec.refuse_if_unclear()
    if archive is not None and str(archive) not in sec.history:
        add_archive(sec, archive)
    apply(sec, ds.tables)
    return sec
