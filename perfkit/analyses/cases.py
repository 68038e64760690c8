"""Rule cases as data beside each profile: a profile checks itself.

``<profile>.cases.yaml`` (beside ``<profile>.yaml``) lists cases — inputs as a unit writes them on its
forms and the result the profile's rules give — in the manner of OpenFisca's YAML tests::

    year: 2022
    cases:
      - 名称: 正向指标未达标按比例计分
        类型: 自评            # 自评 | 监控 | 等级
        输入: {指标值: ≥50个, 实际完成值: 40个, 分值: 20}
        应得: {得分: 16}

Every case runs through the code ``perfkit score`` runs — the rows are written as the contract's tables,
loaded (read, validated) and scored or monitored — so a case that passes says what the command does on
such a row, and a district that changes a value of its profile sees which of its cases now come out
otherwise. ``perfkit rules --check PROFILE`` runs them and prints each result in Chinese (docs/rules.md).

* 自评 — one project. 输入: 指标值, 实际完成值, 分值 (optional 计量单位, 指标性质, 一级指标, 二级指标, 三级指标),
  or 指标: a list of such rows; 全年预算数, 全年执行数 (万元), 执行率分值 optional. 应得: 得分, 档次 (one row),
  执行率, 执行率得分, 总分, 等级, 复算状态 (the project).
* 监控 — one project at a month. 输入: 月份, 全年预算数, 累计执行数, and (optional) 指标值, 分值, 累计完成值,
  完成目标可能性. 应得: 序时进度, 执行进度, 执行灯, 指标灯, 目标总体完成率, 偏差（百分点）, 预警, 项目灯.
* 等级 — 输入: 总分. 应得: 等级.

A number is expected within half a unit of the second decimal (scores are kept to two decimals); a
percentage may be written 50% or 0.5; 预警 is 是 or 否; an empty 应得 value means blank (无法复算).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from perfkit.analyses.evaluation import score_projects
from perfkit.analyses.monitoring import monitor
from perfkit.io.base import InputError
from perfkit.io.load import load
from perfkit.io.write import write_csv
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import PROFILES_DIR, Rulebook, load_rules

KINDS = ("自评", "监控", "等级")
CASES_SUFFIX = ".cases.yaml"
TOLERANCE = 0.005
# 应得 of each kind → (where it is read, the column)
SELF_FIELDS = {"得分": ("indicator", "score"), "档次": ("indicator", "tier"), "执行率": ("project", "exec_rate"),
               "执行率得分": ("project", "exec_score"), "总分": ("project", "total"), "等级": ("project", "grade"),
               "复算状态": ("project", "status")}
MONITOR_FIELDS = {"序时进度": "time_progress", "执行进度": "exec_progress", "执行灯": "exec_light",
                  "指标灯": "indicator_light", "目标总体完成率": "target_completion", "偏差（百分点）": "deviation_pp",
                  "预警": "warning", "项目灯": "light"}
INDICATOR_INPUTS = ("一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "计量单位", "指标性质")


@dataclass
class CaseResult:
    """One expected value of one case: what the case says, what the rules gave."""

    case: str
    kind: str
    field: str
    expected: object
    actual: object
    passed: bool


def cases_file(profile: str | Path) -> Path:
    """The cases beside a profile: ``mof2020`` → perfkit/rules/profiles/mof2020.cases.yaml; a district's
    ``规则/本区口径.yaml`` → ``规则/本区口径.cases.yaml``."""
    path = Path(profile)
    if path.suffix in (".yaml", ".yml"):
        return path.with_name(path.stem + CASES_SUFFIX)
    return PROFILES_DIR / f"{profile}{CASES_SUFFIX}"


def read_cases(path: str | Path) -> tuple[int | None, list[dict]]:
    """(year, cases) of a cases file, checked: each case has a 名称, a known 类型, 输入 and 应得."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到规则案例文件 {path}（案例写在规则文件旁，文件名为 <规则文件名>{CASES_SUFFIX}）")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name}：不是有效的 YAML（{str(exc).splitlines()[0]}）") from exc
    cases = doc.get("cases") if isinstance(doc, dict) else None
    if not isinstance(cases, list) or not cases:
        raise InputError(f"{path.name}：没有案例（应有 cases: 列表）")
    for i, case in enumerate(cases, 1):
        where = f"{path.name} 第 {i} 个案例"
        if not isinstance(case, dict) or not case.get("名称"):
            raise InputError(f"{where}：缺少「名称」")
        if case.get("类型") not in KINDS:
            raise InputError(f"{where}「{case['名称']}」：类型应为 {'、'.join(KINDS)} 之一，实际为「{case.get('类型')}」")
        if not isinstance(case.get("输入"), dict) or not isinstance(case.get("应得"), dict) or not case["应得"]:
            raise InputError(f"{where}「{case['名称']}」：应有「输入」与「应得」")
        known = {"自评": SELF_FIELDS, "监控": MONITOR_FIELDS, "等级": {"等级": None}}[case["类型"]]
        unknown = [k for k in case["应得"] if k not in known]
        if unknown:
            raise InputError(f"{where}「{case['名称']}」：{case['类型']}案例没有「{'」「'.join(unknown)}」这一结果"
                             f"（可用：{'、'.join(known)}）")
    year = doc.get("year")
    return (int(year) if year is not None else None), cases


def run_cases(profile: str | Path, path: str | Path | None = None, year: int | None = None) -> list[CaseResult]:
    """Every case of ``path`` (default: the cases beside ``profile``) under the profile's rules."""
    load_rules(profile, year or 2022)  # an unknown profile is said as such, before its cases are looked for
    file_year, cases = read_cases(path or cases_file(profile))
    rules = load_rules(profile, year or file_year or 2022)
    results: list[CaseResult] = []
    results += _self_cases(rules, [c for c in cases if c["类型"] == "自评"])
    results += _monitor_cases(rules, [c for c in cases if c["类型"] == "监控"])
    for case in (c for c in cases if c["类型"] == "等级"):
        total = float(case["输入"]["总分"])
        got = F.grade([total], rules["evaluation.grade_bands"], rules["evaluation.grade_below"])[0]
        results.append(_compare(case, "等级", case["应得"]["等级"], got))
    order = {c["名称"]: i for i, c in enumerate(cases)}
    return sorted(results, key=lambda r: order[r.case])


def _indicator_rows(case: dict) -> list[dict]:
    given = case["输入"]
    rows = given.get("指标") or [{k: given[k] for k in INDICATOR_INPUTS if k in given}]
    return [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{j + 1}", **row} for j, row in enumerate(rows)]


def _self_cases(rules: Rulebook, cases: list[dict]) -> list[CaseResult]:
    if not cases:
        return []
    projects, rows, summary = [], [], []
    for i, case in enumerate(cases):
        pid, given = f"案例{i + 1:03d}", case["输入"]
        projects.append({"项目编码": pid, "项目名称": case["名称"], "单位编码": "U1", "年度": rules.year,
                         "全年预算数": given.get("全年预算数"), "全年执行数": given.get("全年执行数")})
        rows += [{"项目编码": pid, **row} for row in _indicator_rows(case)]
        if "执行率分值" in given:
            summary.append({"项目编码": pid, "执行率分值": given["执行率分值"]})
    tables = {"单位": pd.DataFrame({"单位编码": ["U1"], "单位名称": ["案例单位"]}), "项目": pd.DataFrame(projects),
              "绩效自评": pd.DataFrame(rows)}
    if summary:
        tables["自评汇总"] = pd.DataFrame(summary)
    with tempfile.TemporaryDirectory(prefix="perfkit-cases-") as tmp:
        ds = _loaded(tables, Path(tmp))
        scores = score_projects(ds, rules)
    per = scores.projects.set_index(scores.projects["project_id"].astype(str))
    ind = scores.indicators
    out = []
    for i, case in enumerate(cases):
        pid = f"案例{i + 1:03d}"
        mine = ind.loc[ind["project_id"].astype(str) == pid]
        for name, expected in case["应得"].items():
            where, col = SELF_FIELDS[name]
            if where == "indicator":
                got = mine[col].iloc[0] if len(mine) == 1 else None
            else:
                got = per.at[pid, col] if pid in per.index else None
            out.append(_compare(case, name, expected, got))
    return out


def _monitor_cases(rules: Rulebook, cases: list[dict]) -> list[CaseResult]:
    if not cases:
        return []
    projects, execution, targets, progress = [], [], [], []
    for i, case in enumerate(cases):
        pid, given = f"案例{i + 1:03d}", case["输入"]
        projects.append({"项目编码": pid, "项目名称": case["名称"], "单位编码": "U1", "年度": rules.year,
                         "全年预算数": given.get("全年预算数")})
        if given.get("累计执行数") is not None:
            execution.append({"项目编码": pid, "月份": given["月份"], "累计执行数": given["累计执行数"]})
        if given.get("指标值") is not None:
            targets.append({"项目编码": pid, "一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "指标1",
                            "指标值": given["指标值"], "分值": given.get("分值", 10)})
            if given.get("累计完成值") is not None:
                progress.append({"项目编码": pid, "月份": given["月份"], "三级指标": "指标1",
                                 "累计完成值": given["累计完成值"], "完成目标可能性": given.get("完成目标可能性")})
    tables = {"单位": pd.DataFrame({"单位编码": ["U1"], "单位名称": ["案例单位"]}), "项目": pd.DataFrame(projects),
              "执行监控": pd.DataFrame(execution, columns=["项目编码", "月份", "累计执行数"]),
              "绩效目标": pd.DataFrame(targets, columns=["项目编码", "一级指标", "二级指标", "三级指标", "指标值", "分值"]),
              "指标监控": pd.DataFrame(progress, columns=["项目编码", "月份", "三级指标", "累计完成值", "完成目标可能性"])}
    out = []
    with tempfile.TemporaryDirectory(prefix="perfkit-cases-") as tmp:
        ds = _loaded(tables, Path(tmp))
        by_month = {m: monitor(ds, rules, m).projects for m in sorted({int(c["输入"]["月份"]) for c in cases})}
    for i, case in enumerate(cases):
        pid = f"案例{i + 1:03d}"
        p = by_month[int(case["输入"]["月份"])]
        row = p.loc[p["project_id"].astype(str) == pid]
        for name, expected in case["应得"].items():
            got = row[MONITOR_FIELDS[name]].iloc[0] if len(row) else None
            out.append(_compare(case, name, expected, got))
    return out


def _loaded(tables: dict[str, pd.DataFrame], folder: Path):
    """The case rows as the contract's CSV tables, loaded as ``perfkit score`` loads them; a row the
    loader sets aside is the case author's error, said with the loader's own words."""
    for sheet, frame in tables.items():
        write_csv(frame, folder / f"{sheet}.csv")
    ds = load(folder)
    if len(ds.quarantine):
        first = ds.quarantine.iloc[0]
        raise InputError(f"规则案例的输入无法读入：「{first['工作表']}」{first['说明']}（共 {len(ds.quarantine)} 处）")
    return ds


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.number)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def shown(value: object) -> str:
    """A value as the check prints it."""
    if _blank(value):
        return "（空）"
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4f}".rstrip("0").rstrip(".")
    return str(value)


def _compare(case: dict, name: str, expected: object, actual: object) -> CaseResult:
    if _blank(expected):
        ok = _blank(actual)
    elif isinstance(actual, (bool, np.bool_)):
        ok = str(expected).strip() == ("是" if actual else "否")
    elif _number(expected) is not None and not _blank(actual) and _number(actual) is not None \
            and not isinstance(actual, str):
        ok = abs(_number(expected) - float(actual)) <= TOLERANCE
    else:
        ok = not _blank(actual) and str(expected).strip() == str(actual).strip()
    return CaseResult(case["名称"], case["类型"], name, expected, actual, bool(ok))


def report_lines(results: list[CaseResult]) -> list[str]:
    """The check, one line per case (and one per wrong value under it), in Chinese."""
    lines = []
    for name in dict.fromkeys(r.case for r in results):
        mine = [r for r in results if r.case == name]
        wrong = [r for r in mine if not r.passed]
        lines.append(f"{'不通过' if wrong else '通过'}  [{mine[0].kind}] {name}")
        lines += [f"        {r.field}：应为 {shown(r.expected)}，实为 {shown(r.actual)}" for r in wrong]
    return lines
