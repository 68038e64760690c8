"""涉密 never reaches public/ (issue 12 §1, §3): one case per path a classified project took to the public
folder, the disclose crashes on codes that are not sheet names, and a property test over generated data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

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
    assert ds.counts["读入"].sum() == ds.counts["载入"].sum() + ds.counts["隔离"].sum()
