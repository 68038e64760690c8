"""涉密 never reaches public/ (issue 12 §1, §3): one case per path a classified project took to the public
folder, the disclose crashes on codes that are not sheet names, and a property test over generated data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import rows_reconcile
from tests.secret_data import code, public_text, run, tables, write

A, B, C, D = code(1), code(2), code(3), code(4)


def row(c: str, *flags: str, name: str | None = None, year: int = 2022, unit: str = "DW01") -> dict:
    return {"code": c, "name": name or f"项目{c}号", "year": year, "unit": unit, "flags": list(flags)}


# (id, 涉密 headers, rows, extra CLI args, expected exit, codes that must not be published, codes that
#  must be, codes listed in internal/待确认项目_不公开.csv, words the refusal must contain)
CASES = [
    ("header 涉密", ["涉密"], [row(A, "是"), row(B, "否")], [], 0, {A}, {B}, set(), ""),
    ("header 是否涉密", ["是否涉密"], [row(A, "是"), row(B, "否")], [], 0, {A}, {B}, set(), ""),
    ("header 涉密项目", ["涉密项目"], [row(A, "Y"), row(B, "N")], [], 0, {A}, {B}, set(), ""),
    ("header 是否涉密（是/否）", ["是否涉密（是/否）"], [row(A, "是"), row(B, "否")], [], 0, {A}, {B}, set(), ""),
    ("header 密级", ["密级"], [row(A, "秘密"), row(B, "无"), row(C, "机密★10年"), row(D, "")], [], 0, {A, C}, {B, D},
     set(), ""),
    ("密级 公开/非密", ["密级"], [row(A, "绝密"), row(B, "公开"), row(C, "非密")], [], 0, {A}, {B, C}, set(), ""),
    ("no 涉密 column: refused", [], [row(A), row(B)], [], 2, {A, B}, set(), set(), "--no-classified"),
    ("no 涉密 column, declared none", [], [row(A), row(B)], ["--no-classified"], 0, set(), {A, B}, set(), ""),
    ("declared none, 秘密 in a name", [], [row(A, name="某秘密工程"), row(B)], ["--no-classified"], 0, {A}, {B},
     {A}, ""),
    ("涉密 column all blank: refused", ["涉密"], [row(A, ""), row(B, "")], [], 2, {A, B}, set(), set(), "全部为空"),
    ("涉密 twice, either says 是", ["涉密", "涉密"], [row(A, "否", "是"), row(B, "否", "否")], [], 0, {A}, {B}, set(), ""),
    ("涉密 and 密级", ["涉密", "密级"], [row(A, "否", "秘密"), row(B, "否", "无")], [], 0, {A}, {B}, set(), ""),
    ("negated header: refused", ["是否非涉密项目"], [row(A, "是"), row(B, "否")], [], 2, {A, B}, set(), set(),
     "含义相反"),
    ("same code, other year 涉密", ["涉密"], [row(A, "是", year=2021), row(A, "否"), row(B, "否")], ["--year", "2022"],
     0, {A}, {B}, set(), ""),
    ("only the requested year", ["涉密"], [row(A, "否", year=2021), row(B, "否")], ["--year", "2022"], 0, {A}, {B},
     set(), ""),
    ("a year with no projects: refused", ["涉密"], [row(A, "否")], ["--year", "2023"], 2, {A}, set(), set(),
     "没有 2023 年度"),
    ("blank 年度 and 单位编码 wait", ["涉密"], [row(A, "否", year=None), row(B, "否", unit=None), row(C, "否")],
     ["--year", "2022"], 0, {A, B}, {C}, {A, B}, ""),
    ("several years, no --year: refused", ["涉密"], [row(A, "否", year=2021), row(B, "否")], [], 2, {A, B}, set(),
     set(), "--year"),
    ("duplicate code, 涉密 row second", ["涉密"], [row(A, "否"), row(A, "是", name="另一个工程"), row(B, "否")], [], 0,
     {A}, {B}, set(), ""),
    ("duplicate code, 涉密 row first", ["涉密"], [row(A, "是"), row(A, "否"), row(B, "否")], [], 0, {A}, {B}, set(), ""),
    ("code spelled in another case", ["涉密"], [row(A.lower(), "是"), row(A, "否"), row(B, "否")], [], 0, {A}, {B},
     set(), ""),
    ("秘密 in the name, flag 否", ["涉密"], [row(A, "否", name="某绝密改造工程"), row(B, "否")], [], 0, {A}, {B}, {A}, ""),
    ("blank flag where others are filled", ["涉密"], [row(A, ""), row(B, "否"), row(C, "是")], [], 0, {A, C}, {B},
     {A}, ""),
    ("unreadable flag", ["涉密"], [row(A, "待定"), row(B, "否")], [], 0, {A}, {B}, {A}, ""),
    ("✓/blank column: blank is 否", ["涉密"], [row(A, "✓"), row(B, "")], [], 0, {A}, {B}, set(), ""),
]


@pytest.mark.parametrize(("fmt"), ["csv", "xlsx"])
@pytest.mark.parametrize(("case", "flags", "rows", "args", "rc", "absent", "present", "pending", "words"), CASES,
                         ids=[c[0] for c in CASES])
def test_disclosure_paths(tmp_path: Path, fmt: str, case: str, flags: list[str], rows: list[dict], args: list[str],
                          rc: int, absent: set[str], present: set[str], pending: set[str], words: str) -> None:
    src = write(tables(rows, flags), tmp_path / ("d.xlsx" if fmt == "xlsx" else "d"))
    out = tmp_path / "公开"
    code_, stdout, stderr = run("disclose", str(src), "--out", str(out), *args)
    assert code_ == rc, stderr
    assert "Traceback" not in stdout + stderr
    if rc != 0:
        assert stderr.count("\n") == 1 and words in stderr and not out.exists()
        return
    text = public_text(out / "public")
    names = {r["code"]: r["name"] for r in rows}
    for c in absent:
        assert c.casefold() not in text, f"{c} published"
        assert names.get(c, "\0").casefold() not in text
    for c in present:
        assert c.casefold() in text, f"{c} not published"
    listed = pd.read_csv(out / "internal" / "待确认项目_不公开.csv", encoding="utf-8-sig", dtype=str)
    assert pending <= set(listed["项目编码"])
    assert set(listed["项目编码"]).isdisjoint(present)


def test_unreadable_flag_is_listed_for_confirmation(tmp_path: Path) -> None:
    """The loader sets the row aside; disclosure says so in internal/ (the code appears nowhere public)."""
    src = write(tables([row(A, "待定"), row(B, "否")], ["涉密"]), tmp_path / "d")
    rc, out, _ = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0
    note = (tmp_path / "o" / "internal" / "公开说明_不公开.txt").read_text(encoding="utf-8-sig")
    assert "涉密" in note and "2022" in note


def test_sheet_listing_classified_projects(tmp_path: Path) -> None:
    """A sheet named as a 涉密 list makes every code in it 涉密."""
    t = tables([row(A, "否"), row(B, "否")], ["涉密"])
    t["涉密项目清单"] = pd.DataFrame({"项目编码": [A], "备注": ["见保密办文件"]})
    src = write(t, tmp_path / "d.xlsx")
    rc, _, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    text = public_text(tmp_path / "o" / "public")
    assert A.casefold() not in text and B.casefold() in text


def test_second_run_replaces_the_publication_folder(tmp_path: Path) -> None:
    """A project flagged 涉密 since the last run: its unit folder is gone, not left behind."""
    rows = [row(A, "否", unit="DW01"), row(B, "否", unit="DW02")]
    out = tmp_path / "公开"
    assert run("disclose", str(write(tables(rows, ["涉密"]), tmp_path / "d1")), "--out", str(out))[0] == 0
    (out / "public" / "我放的文件.txt").write_text("x")
    assert A.casefold() in public_text(out / "public")
    rows[0]["flags"] = ["是"]
    assert run("disclose", str(write(tables(rows, ["涉密"]), tmp_path / "d2")), "--out", str(out))[0] == 0
    assert A.casefold() not in public_text(out / "public")
    assert sorted(p.name for p in (out / "public").iterdir()) == ["DW02_单位DW02"]
    assert not [p for p in tmp_path.iterdir() if ".perfkit-" in p.name]


BAD_SHEET_CODES = ["A[1]", "B:2", "C?3", "D*4", "E/5", "F\\6", "'G7'", "history",
                   "X" * 40 + "1", "X" * 40 + "2", "ab-1", "AB-1", "  ", "长" * 35]


def test_codes_that_are_not_sheet_names(tmp_path: Path) -> None:
    """Every project gets its own, valid sheet (issue 12 §3: these crashed after writing part of public/)."""
    codes = [c for c in BAD_SHEET_CODES if c.strip()]
    rows = [row(c, "否", name=f"工程{i}") for i, c in enumerate(codes)]
    src = write(tables(rows, ["涉密"]), tmp_path / "d")
    rc, _, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    book = next((tmp_path / "o" / "public").rglob("*.xlsx"))
    sheets = load_workbook(book).sheetnames
    assert len(sheets) == len(codes) and len({s.casefold() for s in sheets}) == len(codes)
    assert all(len(s) <= 31 and not set(s) & set("[]:*?/\\") for s in sheets)
    names = [c.value for ws in load_workbook(book) for r in ws.iter_rows(min_row=3, max_row=3) for c in r if c.value]
    assert {f"工程{i}" for i in range(len(codes))} <= set(names)


def test_units_whose_folder_names_clash(tmp_path: Path) -> None:
    """Unit codes that sanitise to one folder name (or differ only by case) get distinct folders."""
    units = ["DW/1", "DW:1", "dw_1", "DW_1"]
    rows = [row(code(i + 1), "否", unit=u) for i, u in enumerate(units)]
    t = tables(rows, ["涉密"])
    t["单位"]["单位名称"] = "同名单位"
    src = write(t, tmp_path / "d")
    rc, out, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    folders = sorted(p.name for p in (tmp_path / "o" / "public").iterdir())
    assert len(folders) == 4 and len({f.casefold() for f in folders}) == 4
    for i in range(4):  # each project in exactly one folder
        assert sum(code(i + 1).casefold() in public_text(tmp_path / "o" / "public" / f) for f in folders) == 1
    assert "已加序号区分" in out


@pytest.mark.parametrize("command", ["report", "score", "disclose"])
def test_nothing_else_is_written_into_a_publication_folder(tmp_path: Path, command: str) -> None:
    """The reports, the proposal workbook and the score files list 涉密 projects, a disclosure's
    internal/ lists held-back names: none of them goes inside a disclose folder."""
    src = write(tables([row(A, "否")], ["涉密"]), tmp_path / "d")
    pub = tmp_path / "公开"
    assert run("disclose", str(src), "--out", str(pub))[0] == 0
    before = public_text(pub)
    target = str(pub / "public" / "报告")
    args = {"report": ["report", "--data", str(src), "--year", "2022", "--out", target],
            "score": ["score", str(src), "--out", target], "disclose": ["disclose", str(src), "--out", target]}
    rc, _, err = run(*args[command])
    assert rc == 2 and "不得写入公开文件夹" in err and err.count("\n") == 1
    if command == "score":  # nor replace the publication folder itself
        rc, _, err = run("score", str(src), "--out", str(pub))
        assert rc == 2 and "perfkit disclose 写出的文件夹" in err
    assert public_text(pub) == before


# ------------------------------------------------------------------------------------------ property

HEADERS = ["涉密", "是否涉密", "涉密项目", "密级", "missing", "twice"]
FLAG_VALUES = {"flag": ["是", "否", "否", "", "✓", "待定", "Y", "0"], "level": ["秘密", "机密", "无", "公开", "", "绝密"]}
SECRET_VALUES = {"是", "✓", "Y", "秘密", "机密", "绝密"}
CLEAR_VALUES = {"否", "0", "无", "公开"}


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[str], list[dict]]:
    spelling = draw(st.sampled_from(HEADERS))
    flags = {"missing": [], "twice": ["涉密", draw(st.sampled_from(["涉密", "是否涉密", "密级"]))]}.get(spelling,
                                                                                                  [spelling])
    n = draw(st.integers(2, 6))
    rows = []
    for i in range(1, n + 1):
        values = [draw(st.sampled_from(FLAG_VALUES["level" if "密级" in h else "flag"])) for h in flags]
        word = draw(st.sampled_from(["", "", "", "秘密", "机密"]))
        rows.append(row(code(i), *values, name=f"项目{i:04d}{word}号", unit=f"DW{draw(st.integers(1, 3))}",
                        year=draw(st.sampled_from([2022, 2022, 2021]))))
        for _ in range(draw(st.integers(0, 2))):  # duplicates and the same code in another year
            again = [draw(st.sampled_from(FLAG_VALUES["level" if "密级" in h else "flag"])) for h in flags]
            rows.append(row(code(i), *again, name=f"项目{i:04d}{word}号", year=draw(st.sampled_from([2021, 2022])),
                            unit=rows[-1]["unit"]))
    return flags, rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=datasets(), fmt=st.sampled_from(["csv", "csv", "xlsx"]), declared=st.booleans())
def test_no_public_file_contains_a_classified_project(tmp_path_factory: pytest.TempPathFactory,
                                                      data: tuple[list[str], list[dict]], fmt: str,
                                                      declared: bool) -> None:
    """30 generated datasets (random 涉密 flags, header spellings missing/twice, duplicate and cross-year
    codes, 秘密 in names): no file under public/ holds a code or name that is 涉密 anywhere, not of the
    requested year, or unclear; a code clear everywhere is published."""
    flags, rows = data
    tmp = tmp_path_factory.mktemp("prop")
    src = write(tables(rows, flags), tmp / ("d.xlsx" if fmt == "xlsx" else "d"))
    out = tmp / "公开"
    rc, stdout, stderr = run("disclose", str(src), "--out", str(out), "--year", "2022",
                             *(["--no-classified"] if declared else []))
    assert "Traceback" not in stdout + stderr
    event("refused" if rc else "published")
    if rc != 0:
        assert rc == 2 and stderr.count("\n") == 1 and not out.exists()
        return
    text = public_text(out / "public")
    by_code: dict[str, list[dict]] = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    for c, rs in by_code.items():
        secret = any(v in SECRET_VALUES for r in rs for v in r["flags"])
        worded = any(w in rs[0]["name"] for w in ("秘密", "机密", "绝密"))
        unclear = any(v not in CLEAR_VALUES for r in rs for v in r["flags"])
        this_year = any(r["year"] == 2022 for r in rs)
        if secret or worded or not this_year:
            assert c.casefold() not in text and rs[0]["name"].casefold() not in text, (c, rs)
        elif not unclear and len(rs) == 1 and (flags or declared):
            assert c.casefold() in text, (c, rs)


def test_flag_in_another_table(tmp_path: Path) -> None:
    """A 涉密 column in 自评汇总 counts like one in 项目; a project no table flags either way waits."""
    t = tables([row(A), row(B), row(C)], [])
    t["自评汇总"] = pd.DataFrame({"项目编码": [A, B], "自评总分": [90, 80], "是否涉密": ["是", "否"]})
    src = write(t, tmp_path / "d")
    rc, out, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    text = public_text(tmp_path / "o" / "public")
    assert A.casefold() not in text and C.casefold() not in text and B.casefold() in text
    listed = pd.read_csv(tmp_path / "o" / "internal" / "待确认项目_不公开.csv", encoding="utf-8-sig")
    assert listed["项目编码"].tolist() == [C] and "没有任何一行标明" in listed["原因"].iloc[0]


def test_legacy_publication_folder_is_replaced(tmp_path: Path) -> None:
    """A folder an earlier version wrote (public/ and internal/, no marker) is replaced whole."""
    out = tmp_path / "公开"
    (out / "public" / "DW09_旧单位").mkdir(parents=True)
    (out / "internal").mkdir()
    src = write(tables([row(A, "否")], ["涉密"]), tmp_path / "d")
    assert run("disclose", str(src), "--out", str(out))[0] == 0
    assert [p.name for p in (out / "public").iterdir()] == ["DW01_单位DW01"]


@pytest.mark.parametrize(("first", "second", "classified"), [
    ("否", "是", True), ("是", "否", True), ("否", "否", False), ("", "秘密", True), ("否", "", False),
])
def test_two_classified_columns_are_combined_in_every_listing(tmp_path: Path, demo, first: str, second: str,
                                                              classified: bool) -> None:
    """A form with both 涉密 and 是否涉密: the loader (and so every report listing, not only disclosure)
    treats a project as 涉密 when either column says so — never only the first column."""
    from perfkit.io.load import load
    from perfkit.io.write import write_tables_folder

    folder = write_tables_folder({"projects": demo.tables["projects"]}, tmp_path / "d")
    csv = folder / "项目.csv"
    p = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    row = p.index[p["涉密"].eq("否")][0]
    p["是否涉密"] = p["涉密"]
    p.loc[row, "涉密"], p.loc[row, "是否涉密"] = first, second
    p.to_csv(csv, index=False, encoding="utf-8-sig")
    ds = load(folder)
    got = ds.table("projects").set_index("project_id").loc[p.loc[row, "项目编码"], "classified"]
    assert bool(got) is classified
    assert not any("未识别" in n and "是否涉密" in n for n in ds.notes)
    rows_reconcile(ds)


# ------------------------------------------------------------------- issue 26: one decision, every door

from tests.secret_data import classified_everywhere, frame_rows, workbook  # noqa: E402

E = code(5)
HEAD = ["项目编码", "项目名称", "单位编码", "年度", "支出类别", "监控分类", "全年预算数", "全年执行数"]


def body(c: str, name: str | None = None, unit: str = "DW01", year: int = 2022) -> list[object]:
    return [c, name or f"项目{c}号", unit, year, "部门项目支出", "一般项目", 100, 90]


def others(codes: list[str], units: tuple[str, ...] = ("DW01",)) -> dict[str, tuple[list[list[object]], tuple]]:
    """单位 and 绩效自评 sheets for a workbook built from raw rows."""
    t = tables([row(c) for c in codes], [])
    return {"单位": (frame_rows(pd.DataFrame({"单位编码": list(units), "单位名称": [f"单位{u}" for u in units],
                                             "主管部门": "财政局"})), ()),
            "绩效自评": (frame_rows(t["绩效自评"]), ())}


def disclosed(tmp_path: Path, src: Path, *args: str) -> tuple[int, str, str]:
    out = tmp_path / "公开"
    rc, stdout, stderr = run("disclose", str(src), "--out", str(out), *args)
    assert "Traceback" not in stdout + stderr
    return rc, (public_text(out / "public") if rc == 0 else ""), stderr


def assert_published(text: str, hidden: set[str], shown: set[str]) -> None:
    for c in hidden:
        assert c.casefold() not in text, f"{c} published"
    for c in shown:
        assert c.casefold() in text, f"{c} not published"


def assert_doors_agree(src: Path, expected: set[str], archive: Path | None = None) -> set[str]:
    """Every door holds the same 涉密 codes as expected; returns the doors asked."""
    doors = classified_everywhere(src, archive)
    want = {c.casefold() for c in expected}
    for door, got in doors.items():
        assert got == want, (door, got, want)
    return set(doors)


def test_merged_yes_cell_over_classified_rows(tmp_path: Path) -> None:
    """✓/空 style: 是 written once in a merged cell over three 涉密 rows, the other rows blank."""
    rows = [HEAD + ["涉密"]] + [body(c) + ["是" if c == A else None] for c in (A, B, C, D, E)]
    src = workbook(tmp_path / "d.xlsx", {"项目": (rows, ("I2:I4",)), **others([A, B, C, D, E])})
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A, B, C}, {D, E})
    assert_doors_agree(src, {A, B, C})


def test_two_row_head_with_group_label(tmp_path: Path) -> None:
    """A group label 「重点及涉密情况」 over 重点项目 / 民生项目 / 涉密: the 涉密 column decides, not 重点项目."""
    top = [h for h in HEAD] + ["重点及涉密情况", None, None]
    sub = [None] * len(HEAD) + ["重点项目", "民生项目", "涉密"]
    data = [body(A) + ["是", "否", "是"], body(B) + ["是", "否", "否"], body(C) + ["否", "否", "否"]]
    merges = tuple(f"{chr(65 + i)}1:{chr(65 + i)}2" for i in range(len(HEAD))) + ("I1:K1",)
    src = workbook(tmp_path / "d.xlsx", {"项目": ([top, sub, *data], merges), **others([A, B, C])})
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B, C})
    assert_doors_agree(src, {A})


@pytest.mark.parametrize("fmt", ["csv", "xlsx-unmerged"])
def test_two_row_head_read_as_one_is_refused(tmp_path: Path, fmt: str) -> None:
    """The same head without merged cells (a CSV): the loader's one header row and the raw cells disagree on
    which column is 涉密 — every command refuses, naming the table; nothing is written."""
    top = [h for h in HEAD] + ["重点及涉密情况", None, None]
    sub = [None] * len(HEAD) + ["重点项目", "民生项目", "涉密"]
    data = [body(A) + ["是", "否", "是"], body(B) + ["是", "否", "否"]]
    if fmt == "csv":
        src = write(tables([row(A), row(B)], []), tmp_path / "d")
        pd.DataFrame([sub, *data]).to_csv(src / "项目.csv", header=top, index=False, encoding="utf-8-sig")
    else:
        src = workbook(tmp_path / "d.xlsx", {"项目": ([top, sub, *data], ()), **others([A, B])})
    rc, _, err = disclosed(tmp_path, src)
    assert rc == 2 and "项目" in err and "涉密" in err and "--no-classified" not in err, err
    assert not (tmp_path / "公开").exists()
    rc, _, err = run("score", str(src), "--out", str(tmp_path / "s"))
    assert rc == 2 and "表头" in err


def test_group_label_over_no_flag_column_is_refused(tmp_path: Path) -> None:
    """「涉密情况」 above the header row with no 涉密 column under it (its sub-heads are 等级 / 备注)."""
    top = [h for h in HEAD] + ["涉密情况", None]
    sub = [None] * len(HEAD) + ["等级", "备注"]
    data = [body(A) + ["一级", "x"], body(B) + ["", ""]]
    merges = tuple(f"{chr(65 + i)}1:{chr(65 + i)}2" for i in range(len(HEAD))) + ("I1:J1",)
    src = workbook(tmp_path / "d.xlsx", {"项目": ([top, sub, *data], merges), **others([A, B])})
    rc, _, err = disclosed(tmp_path, src)
    assert rc == 2 and "「项目」" in err and "涉密" in err, err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_head_deeper_than_twenty_rows(tmp_path: Path, fmt: str) -> None:
    """A title, 24 blank rows, then the header: the loader finds it, so does the decision."""
    grid = [["2022年度项目支出绩效自评汇总表"]] + [[None]] * 24 + [HEAD + ["涉密"], body(A) + ["是"], body(B) + ["否"]]
    if fmt == "xlsx":
        src = workbook(tmp_path / "d.xlsx", {"项目": (grid, ()), **others([A, B])})
    else:
        src = write(tables([row(A), row(B)], []), tmp_path / "d")
        pd.DataFrame(grid).to_csv(src / "项目.csv", header=False, index=False, encoding="utf-8-sig")
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B})
    assert_doors_agree(src, {A})


def test_all_blank_flag_column_never_advises_no_classified(tmp_path: Path) -> None:
    """The loader read a 涉密 column: advising --no-classified would publish whatever it marks."""
    src = write(tables([row(A, ""), row(B, "")], ["涉密"]), tmp_path / "d")
    rc, _, err = disclosed(tmp_path, src)
    assert rc == 2 and "全部为空" in err and "--no-classified" not in err


def test_parquet_with_an_index_column(tmp_path: Path) -> None:
    """A Parquet 项目 table written with its pandas index (项目编码) stored as a column."""
    t = tables([row(A, "是"), row(B, "否"), row(C, "否")], ["涉密"])
    src = write({k: v for k, v in t.items() if k != "项目"}, tmp_path / "d")
    t["项目"].set_index("项目编码").to_parquet(src / "项目.parquet")
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B, C})
    assert_doors_agree(src, {A})


@pytest.mark.parametrize("variant", ["项目代码", "title above", "xlsx beside CSVs", "csv list"])
def test_classified_list_variants(tmp_path: Path, variant: str) -> None:
    """A 涉密项目清单 makes each code in it 涉密, however it is laid out or stored."""
    t = tables([row(A, "否"), row(B, "否")], ["涉密"])
    listing = pd.DataFrame({"项目代码" if variant == "项目代码" else "项目编码": [A], "备注": ["保密办认定"]})
    if variant == "xlsx beside CSVs":
        src = write(t, tmp_path / "d")
        listing.to_excel(src / "涉密项目清单.xlsx", index=False)
    elif variant == "csv list":
        src = write(t, tmp_path / "d")
        listing.to_csv(src / "涉密项目清单.csv", index=False, encoding="utf-8-sig")
    else:
        rows = frame_rows(listing)
        if variant == "title above":
            rows = [["2022年度涉密项目清单（保密办提供）"], [None], *rows]
        sheets = {name: (frame_rows(f), ()) for name, f in t.items()}
        src = workbook(tmp_path / "d.xlsx", {**sheets, "涉密项目清单": (rows, ())})
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B})
    assert_doors_agree(src, {A})


def test_classified_list_without_a_code_column_is_refused(tmp_path: Path) -> None:
    t = tables([row(A, "否"), row(B, "否")], ["涉密"])
    t["涉密项目清单"] = pd.DataFrame({"名称": [f"项目{A}号"], "备注": ["保密办认定"]})
    src = write(t, tmp_path / "d.xlsx")
    rc, _, err = disclosed(tmp_path, src)
    assert rc == 2 and "涉密项目清单" in err and "项目编码" in err


def test_code_chain_carries_classification(tmp_path: Path) -> None:
    """涉密 under last year's code: the project renumbered through 编码变更 is held this year."""
    old, older = code(90), code(91)
    t = tables([row(older, "是", year=2020), row(old, "否", year=2021), row(A, "否"), row(B, "否")], ["涉密"])
    t["编码变更"] = pd.DataFrame({"原项目编码": [older, old], "新项目编码": [old, A], "变更年度": [2021, 2022]})
    src = write(t, tmp_path / "d")
    rc, text, err = disclosed(tmp_path, src, "--year", "2022")
    assert rc == 0, err
    assert_published(text, {A, old, older}, {B})
    assert_doors_agree(src, {A, old, older})


def test_archive_history_is_consulted(tmp_path: Path) -> None:
    """A code 涉密 in an archived year (and its successor through the archive's 编码变更) is held."""
    arc = tmp_path / "档案" / "perfkit.duckdb"
    t21 = tables([row(A, "是", year=2021), row(B, "否", year=2021), row(C, "否", year=2021)], ["涉密"])
    t21["编码变更"] = pd.DataFrame({"原项目编码": [C], "新项目编码": [D], "变更年度": [2022]})
    rc, _, err = run("archive", "add", str(write(t21, tmp_path / "d21")), "--year", "2021", "--db", str(arc))
    assert rc == 0, err
    t22 = tables([row(A, "否"), row(B, "否"), row(D, "否")], ["涉密"])
    t22["执行监控"] = pd.DataFrame({"项目编码": [A, B, D], "月份": 5, "累计执行数": 40.0})  # the explorer opens it too
    src = write(t22, tmp_path / "d22")
    rc, text, err = disclosed(tmp_path, src, "--archive", str(arc))
    assert rc == 0, err
    assert_published(text, {A}, {B, D})
    assert_doors_agree(src, {A}, arc)
    # C was not 涉密: its successor D is published; now C is marked 涉密 in the archive — D is held
    t21["项目"].loc[t21["项目"]["项目编码"].eq(C), "涉密"] = "是"
    assert run("archive", "add", str(write(t21, tmp_path / "d21b")), "--year", "2021", "--db", str(arc))[0] == 0
    rc, text, err = disclosed(tmp_path, src, "--archive", str(arc))
    assert rc == 0, err
    assert_published(text, {A, D}, {B})
    assert assert_doors_agree(src, {A, D}, arc) >= {"loader", "decision", "analysis", "explorer"}


def test_classified_unit_holds_its_projects(tmp_path: Path) -> None:
    t = tables([row(A, "否", unit="DW01"), row(B, "否", unit="DW02"), row(C, "否", unit="DW02")], ["涉密"])
    t["单位"]["涉密"] = ["否", "是"]
    src = write(t, tmp_path / "d")
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {B, C}, {A})
    assert "dw02" not in text
    assert_doors_agree(src, {B, C})


@pytest.mark.parametrize(("header", "value"), [("涉密", "機密"), ("涉密", "秘\u200b密"), ("涉 密", "是"),
                                               ("涉\u200b密", "是"), ("密級", "機密"), ("是否涉密", "ｙ")])
def test_spellings_folded(tmp_path: Path, header: str, value: str) -> None:
    """Headers and values with spaces, zero-width characters, traditional or full-width forms."""
    src = write(tables([row(A, value), row(B, "否" if "密级" not in header else "无")], [header]), tmp_path / "d")
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B})
    assert_doors_agree(src, {A})


@pytest.mark.parametrize("name", ["某機密改造工程", "某秘\u200b密工程", "某 绝 密 工程"])
def test_names_with_secret_words_folded(tmp_path: Path, name: str) -> None:
    src = write(tables([row(A, "否", name=name), row(B, "否")], ["涉密"]), tmp_path / "d")
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B})
    listed = pd.read_csv(tmp_path / "公开" / "internal" / "待确认项目_不公开.csv", encoding="utf-8-sig", dtype=str)
    assert listed["项目编码"].tolist() == [A]


def test_snapshot_marker_in_a_data_folder_is_not_trusted(tmp_path: Path) -> None:
    """A perfkit_snapshot.json dropped into a data folder, its source pointing at harmless data: the
    folder is read as the raw data it is; a real snapshot folder is never a basis for publication."""
    import json

    harmless = write(tables([row(B, "否")], ["涉密"]), tmp_path / "harmless")
    src = write(tables([row(A, "是"), row(B, "否")], ["涉密"]), tmp_path / "d")
    (src / "perfkit_snapshot.json").write_text(json.dumps({"source": str(harmless), "notes": [], "tables": []}))
    rc, text, err = disclosed(tmp_path, src)
    assert rc == 0, err
    assert_published(text, {A}, {B})
    from perfkit.io.load import load, save_snapshot

    snap = save_snapshot(load(src), tmp_path / "snap")
    rc, _, err = run("disclose", str(snap), "--out", str(tmp_path / "o2"))
    assert rc == 2 and "快照" in err and not (tmp_path / "o2").exists()
    (snap / "perfkit_snapshot.json").write_text("")
    rc, _, err = run("validate", str(snap))
    assert rc == 2 and "快照" in err and "Traceback" not in err


def test_internal_outputs_never_go_into_a_publication_folder(tmp_path: Path) -> None:
    """archive add --db, score --record --archive, score --out through a symlink, validate --out: all
    refused inside a disclose folder, after resolving links."""
    src = write(tables([row(A, "是"), row(B, "否")], ["涉密"]), tmp_path / "d")
    pub = tmp_path / "公开"
    assert run("disclose", str(src), "--out", str(pub))[0] == 0
    before = public_text(pub)
    link = tmp_path / "看似无关"
    link.symlink_to(pub / "public", target_is_directory=True)
    attempts = [
        ["archive", "add", str(src), "--year", "2022", "--db", str(pub / "public" / "档案.duckdb")],
        ["archive", "add", str(src), "--year", "2022", "--db", str(link / "档案.duckdb")],
        ["score", str(src), "--out", str(tmp_path / "s"), "--record", "--archive", str(pub / "public" / "a.duckdb")],
        ["score", str(src), "--out", str(link / "得分")],
        ["validate", str(src), "--out", str(pub / "public" / "隔离.csv")],
        ["validate", str(src), "--out", str(link / "隔离.csv")],
    ]
    for args in attempts:
        rc, _, err = run(*args)
        assert rc == 2 and "公开文件夹" in err and "Traceback" not in err, (args, err)
    assert public_text(pub) == before
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").glob("*.duckdb"))


# ------------------------------------------------------------------- issue 26 §4: property over structure

@st.composite
def layouts(draw: st.DrawFn) -> dict:
    """A dataset and the shape its 涉密 flags take: file kind, flag style (是/否, ✓/空, one merged 是),
    head depth and a title, a two-row head with a group label, column order, a code chain from a 涉密
    code of last year, a 涉密 unit, a 涉密项目清单."""
    fmt = draw(st.sampled_from(["csv", "xlsx", "parquet"]))
    n = draw(st.integers(3, 6))
    secret = [draw(st.booleans()) for _ in range(n)]
    units = [draw(st.sampled_from(["DW01", "DW02"])) for _ in range(n)]
    return {
        "fmt": fmt, "n": n, "secret": secret, "units": units,
        "style": draw(st.sampled_from(["yesno", "check"] + (["merged"] if fmt == "xlsx" else []))),
        "depth": draw(st.sampled_from([0, 0, 2, 25])) if fmt != "parquet" else 0,
        "group": fmt == "xlsx" and draw(st.booleans()),
        "order": draw(st.permutations(range(len(HEAD) + 1))),
        "chain": draw(st.sampled_from([None, *range(n)])),
        "unit_secret": draw(st.booleans()),
        "listed": draw(st.sampled_from([None, *range(n)])),
    }


def _build(spec: dict, root: Path) -> tuple[Path, set[str]]:
    """Write the layout; returns the source and the codes that must never be published."""
    n = spec["n"]
    codes = [code(i + 1) for i in range(n)]
    secret = list(spec["secret"])
    if spec["style"] == "merged":  # the 涉密 rows first, one 是 merged over them
        order = sorted(range(n), key=lambda i: not secret[i])
        codes, secret, units = [codes[i] for i in order], [secret[i] for i in order], [spec["units"][i] for i in order]
    else:
        units = list(spec["units"])
    hidden = {c for c, s in zip(codes, secret, strict=True) if s}
    no = "否" if spec["style"] == "yesno" else None
    flags = ["是" if s else no for s in secret]
    if spec["style"] == "merged":
        flags = ["是" if i == 0 and secret[0] else None for i in range(n)]
    rows = [body(c, unit=u) + [f] for c, u, f in zip(codes, units, flags, strict=True)]
    head = HEAD + ["涉密"]
    extra: dict[str, pd.DataFrame] = {}
    if spec["chain"] is not None:
        old = code(90)
        rows.append(body(old, unit="DW01", year=2021) + ["是"])
        extra["编码变更"] = pd.DataFrame({"原项目编码": [old], "新项目编码": [codes[spec["chain"]]], "变更年度": [2022]})
        hidden |= {old, codes[spec["chain"]]}
    unit_flags = ["否", "是" if spec["unit_secret"] else "否"]
    if spec["unit_secret"]:
        hidden |= {c for c, u in zip(codes, units, strict=True) if u == "DW02"}
    if spec["listed"] is not None:
        extra["涉密项目清单"] = pd.DataFrame({"项目编码": [codes[spec["listed"]]]})
        hidden.add(codes[spec["listed"]])
    order = list(spec["order"])
    head = [head[j] for j in order]
    rows = [[r[j] for j in order] for r in rows]
    unit_frame = pd.DataFrame({"单位编码": ["DW01", "DW02"], "单位名称": ["单位DW01", "单位DW02"], "主管部门": "财政局",
                               "涉密": unit_flags})
    self_eval = tables([row(c) for c in codes], [])["绩效自评"]
    if spec["fmt"] == "xlsx":
        grid, merges = [head, *rows], []
        if spec["style"] == "merged" and sum(secret) > 1:
            col = chr(65 + head.index("涉密"))
            merges.append(f"{col}2:{col}{1 + sum(secret)}")
        if spec["group"]:  # a group label over 涉密 and the column right of it (or left, at the end)
            j = head.index("涉密")
            k = j + 1 if j + 1 < len(head) else j - 1
            top = [h if i not in (j, k) else None for i, h in enumerate(head)]
            top[min(j, k)] = "项目属性及涉密情况"
            sub = [None if i not in (j, k) else h for i, h in enumerate(head)]
            grid = [top, sub, *rows]
            merges = [f"{chr(65 + i)}1:{chr(65 + i)}2" for i in range(len(head)) if i not in (j, k)]
            merges.append(f"{chr(65 + min(j, k))}1:{chr(65 + max(j, k))}1")
            if spec["style"] == "merged" and sum(secret) > 1:
                col = chr(65 + j)
                merges.append(f"{col}3:{col}{2 + sum(secret)}")
        grid = [["项目支出绩效自评汇总表"]] * bool(spec["depth"]) + [[None]] * spec["depth"] + grid
        shift = bool(spec["depth"]) + spec["depth"]
        merges = [_shifted(m, shift) for m in merges]
        sheets = {"单位": (frame_rows(unit_frame), ()), "项目": (grid, tuple(merges)),
                  "绩效自评": (frame_rows(self_eval), ())}
        sheets.update({k: (frame_rows(v), ()) for k, v in extra.items()})
        return workbook(root / "d.xlsx", sheets), hidden
    folder = root / "d"
    folder.mkdir(parents=True)
    frame = pd.DataFrame(rows, columns=head)
    if spec["fmt"] == "parquet":
        frame["年度"] = frame["年度"].astype("int64")
        frame.astype({c: "string" for c in frame.columns if c not in ("年度", "全年预算数", "全年执行数")}) \
            .to_parquet(folder / "项目.parquet", index=False)
    else:
        grid = [["项目支出绩效自评汇总表"]] * bool(spec["depth"]) + [[]] * spec["depth"] + [head, *rows]
        pd.DataFrame(grid).to_csv(folder / "项目.csv", header=False, index=False, encoding="utf-8-sig")
    for name, f in {"单位": unit_frame, "绩效自评": self_eval, **extra}.items():
        f.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    return folder, hidden


def _shifted(ref: str, rows: int) -> str:
    """An A1:B2 range moved down by ``rows``."""
    import re

    return re.sub(r"(\d+)", lambda m: str(int(m[1]) + rows), ref)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(spec=layouts())
def test_structural_variants_never_leak_and_every_door_agrees(tmp_path_factory: pytest.TempPathFactory,
                                                              spec: dict) -> None:
    """Generated structures of the 涉密 flag: no 涉密 code or name reaches public/, every non-涉密 project
    of the year is published (precision), and the loader, the decision and the analysis hold one set."""
    root = tmp_path_factory.mktemp("shape")
    src, hidden = _build(spec, root)
    event(f"{spec['fmt']}/{spec['style']}/group={spec['group']}/depth={spec['depth']}")
    out = root / "公开"
    rc, stdout, stderr = run("disclose", str(src), "--out", str(out), "--year", "2022")
    assert "Traceback" not in stdout + stderr
    assert rc == 0, (spec, stderr)
    text = public_text(out / "public")
    codes = [code(i + 1) for i in range(spec["n"])]
    for c in codes:
        if c in hidden:
            assert c.casefold() not in text and f"项目{c}号".casefold() not in text, (c, spec)
        else:
            assert c.casefold() in text, (c, spec)
    assert_doors_agree(src, hidden)


@pytest.mark.parametrize("codes", [
    ["P001", "p001 ", "Ｐ００１", "'P001", "P\u200b001", "項目P1", "A-1/2(3)", "x'y", "", "ABC~!", " P2", "P\t3"],
])
def test_category_keys_are_code_key_of_each_category(codes: list[str]) -> None:
    """The fast path (plain ASCII codes lower-cased at once) gives every category the key code_key gives:
    full-width, apostrophe-led, invisible, traditional, spaced and mixed codes included."""
    from perfkit.io.secrecy import category_keys, code_key, keys_of

    cats = pd.Index(codes)
    assert category_keys(cats).tolist() == [code_key(c) for c in codes]
    column = pd.Series(pd.Categorical([*codes, None], categories=codes))
    assert keys_of(column).tolist() == [code_key(c) for c in codes] + [code_key("")]


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=30, unique=True))
@settings(max_examples=200, deadline=None)
def test_category_keys_agree_with_code_key_on_any_text(codes: list[str]) -> None:
    from perfkit.io.secrecy import category_keys, code_key

    assert category_keys(pd.Index(codes, dtype=object)).tolist() == [code_key(c) for c in codes]
