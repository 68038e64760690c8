"""The analyst's explorer (notebooks/explore.ipynb): filters, the as-of month, the warning threshold and
the rule profile; a table and a chart that update; drill-down unit → projects → one project's
indicators with each score's 说明; export of the current view to .xlsx.

:class:`Explorer` holds the logic and caches one analysis per (profile, month); :class:`ExplorerUI`
wires ipywidgets to it. Setting a widget's ``.value`` runs the update synchronously, so the whole UI is
tested in pytest without a kernel.

What keeps an update fast in the browser (benchmarks/bench_explorer_browser.py measures it there):
tables are paged and sorted in the kernel, so each change sends one small page of HTML rather than every
row; only the visible tab is redrawn (the others are marked stale and redrawn when shown); the warning
flags are cached per (profile, month, threshold); and every (profile, month) is computed once, in a
background thread whose progress the UI shows.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.analyses import history, monitoring
from perfkit.analyses.application import budget_proposal, warned_at
from perfkit.analyses.evaluation import PENDING, Scores, explain_indicators, grade_label, score_projects
from perfkit.io.load import Dataset, load
from perfkit.io.values import format_wan, plain_text
from perfkit.io.write import atomic_path, excel_writer
from perfkit.reporting.workbook import write_table
from perfkit.rules.formulas import LIGHTS
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, available_profiles, load_rules

ALL = "（全部）"
YES, NO = "是", "否"
INTERNAL_MARK = "内部资料 不得公开"  # as the report's workbook marks a file that lists 涉密 projects
COMPARE_COLUMNS = {"prev_total": "上年复核总分", "prev_grade": "上年等级"}
VIEW_COLUMNS = {"project_id": "项目编码", "project_name": "项目名称", "unit_name": "单位", "department": "主管部门",
                "category": "支出类别", "monitor_class": "监控分类", "budget": "全年预算数（万元）",
                "total": "复核总分", "grade_label": "等级", "exec_progress": "执行进度（截至月份）",
                "light": "监控灯", "warning": "预警", "warning_reason": "预警原因", "n_restated": "单位自述指标数"}
UNIT_COLUMNS = {"unit_name": "单位", "projects": "项目数", "budget": "全年预算数（万元）", "mean_total": "平均复核分",
                "warned": "预警项目数", "red": "红灯项目数", "pending": "待核实项目数"}
INDICATOR_COLUMNS = {"indicator": "三级指标", "target_text": "指标值", "actual_text": "实际完成值", "weight": "分值",
                     "score": "复核得分", "unit_score": "自评得分", "restated": "单位自述", "explanation": "说明"}
# the multi-value filters: Filters field → column of the view
FILTER_COLUMNS = {"unit": "unit_name", "department": "department", "category": "category",
                  "monitor_class": "monitor_class", "grade": "grade_filter", "light": "light"}
FILTER_LABELS = {"unit": "单位", "department": "主管部门", "category": "支出类别", "monitor_class": "监控分类",
                 "grade": "等级", "light": "监控灯", "warning": "预警", "restated": "单位自述", "search": "搜索",
                 "month": "截至月份",
                 "threshold": "预警阈值（百分点）", "profile": "规则口径"}
SEARCHED = ("project_id", "project_name", "unit_name")  # what the 搜索 box looks in
PAGE_SIZE = 50          # rows per table page: one page of HTML per update, whatever the district's size
PROJECT_LIST_LIMIT = 500  # entries in the 项目 drop-down; the note under it says when more are in view
THRESHOLD_RANGE = (0, 100)  # the deviation is between two percentages: 0–100 percentage points, not a policy


def _values(value: object) -> tuple[str, ...]:
    """A filter's chosen values as a tuple (empty = all); one value or （全部） also accepted."""
    if value is None or (isinstance(value, str) and value in (ALL, "")):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v != ALL)


@dataclass(frozen=True)
class Filters:
    """What the analyst chose. Multi-value filters hold the chosen values (empty: all); ``month`` None
    is the data's latest month and ``threshold`` None the rulebook's ``monitoring.warning_deviation``
    of ``profile`` — defaults come from the data and the rulebook in force, never from here."""

    unit: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    monitor_class: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    light: tuple[str, ...] = ()
    warning: str = ALL
    restated: str = ALL  # 是: projects with an actual that restates its target (单位自述，无佐证); 否: none
    search: str = ""
    month: int | None = None
    threshold: float | None = None
    profile: str = DEFAULT_PROFILE


def cache_root() -> Path:
    """The per-user cache folder — the same as ``perfkit report``'s (:func:`perfkit.reporting.run.cache_dir`,
    not imported here: it pulls in the report renderer, seconds of the explorer's opening)."""
    import os
    import sys

    if os.environ.get("PERFKIT_CACHE_DIR"):
        return Path(os.environ["PERFKIT_CACHE_DIR"]).expanduser().absolute()
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "perfkit" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "perfkit"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").absolute() / "perfkit"


def cached_load(data: str | Path) -> Dataset:
    """``data`` loaded and validated once per content: the typed snapshot (every month, 涉密 rows
    included) is kept in the per-user cache, readable by its owner only, never beside the data; an
    unchanged workbook opens from it in a fraction of a second instead of being parsed again."""
    import hashlib
    import shutil
    import tempfile

    from perfkit import __version__
    from perfkit.io.base import SNAPSHOT_MARK
    from perfkit.io.load import save_snapshot

    path = Path(data).resolve()
    if path.is_dir() and (path / SNAPSHOT_MARK).exists():
        return load(path)
    if not path.exists():
        return load(path)  # its own Chinese message
    digest = hashlib.sha256(f"{__version__}|explorer|all months".encode())
    # every file of a folder: a 涉密项目清单.xlsx beside the CSVs changes which projects are listed
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    folder = cache_root() / "explorer" / digest.hexdigest()[:20]
    if (folder / SNAPSHOT_MARK).exists():
        try:
            ds = load(folder)
            ds.source = str(path)
            return ds
        except Exception:  # noqa: BLE001 - a damaged cache entry is rebuilt, never shown
            shutil.rmtree(folder, ignore_errors=True)
    ds = load(path)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        for up in (folder.parent, folder.parent.parent):
            up.chmod(0o700)  # every row, 涉密 ones included: its owner only
        for old in sorted(folder.parent.iterdir(), key=lambda p: p.stat().st_mtime)[:-KEEP_SNAPSHOTS]:
            shutil.rmtree(old, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=folder.parent))
        save_snapshot(ds, tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except OSError:  # a read-only home: the explorer still opens, only slower next time
        pass
    return ds


KEEP_SNAPSHOTS = 4  # explorer snapshots kept per user (the most recent); disk use, not a rule


def _title_of(profile: str | Path) -> str | None:
    """A profile's title read from its file without parsing the YAML (≈0.3 s a profile saved at opening)."""
    from perfkit.rules.rulebook import PROFILES_DIR

    path = Path(profile)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PROFILES_DIR / f"{profile}.yaml"
    try:
        m = re.search(r"^title:\s*(.+?)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        return None
    return m.group(1).strip("'\"") if m else None


def profile_title(rules: Rulebook) -> str:
    """A profile's Chinese title as the analyst reads it (the part before its parenthesised detail)."""
    title = str(rules.title or rules.profile)
    return re.split(r"[（(]", title, maxsplit=1)[0].strip() or title


@dataclass
class Explorer:
    """Cached analyses of one dataset, sliced by :class:`Filters`."""

    data: Dataset
    year: int
    _scores: dict[str, Scores] = field(default_factory=dict)
    _monitors: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    _monitorings: dict[tuple[str, int], monitoring.Monitoring] = field(default_factory=dict)
    _warned: dict[tuple[str, int, float], tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    _proposals: dict[tuple[str, int, float], pd.DataFrame] = field(default_factory=dict)
    _rules: dict[str, Rulebook] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    warm_done: int = 0
    warm_total: int = 0
    profiles: list[str] = field(default_factory=available_profiles)  # what the 规则口径 list offers
    previous: pd.DataFrame | None = None  # last year's total and grade per project (from the archive), to compare
    comparing: bool = False  # 与上年对比 ticked (previous may still be None: no last year archived)

    @classmethod
    def open(cls, data: str | Path | Dataset, year: int | None = None, cache: bool = True,
             archive: str | Path | None = None) -> Explorer:
        """The explorer of ``data``; a workbook or folder is read through the validated snapshot of
        its content (see :func:`cached_load`), so an unchanged input opens without being parsed again.
        ``archive``: codes 涉密 in an archived year are 涉密 here too (the one 涉密 decision)."""
        ds = data if isinstance(data, Dataset) else cached_load(data) if cache else load(data)
        if archive is not None and Path(archive).is_file() and ds.secrecy is not None:
            from perfkit.io.secrecy import decide

            decide(ds, archive)
        if year is None:
            year = int(ds.table("projects")["year"].dropna().mode().iloc[0])
        return cls(ds, year)

    def months(self) -> list[int]:
        return sorted(int(m) for m in self.data.table("exec_monitor")["month"].dropna().unique())

    def rules(self, profile: str) -> Rulebook:
        """The rulebook of ``profile`` (a name or a .yaml file) for the year, read once (~0.1 s)."""
        if profile not in self._rules:
            self._rules[profile] = load_rules(profile, self.year)
        return self._rules[profile]

    def add_profile(self, ref: str | Path) -> str:
        """Offer a profile file kept outside the package (a district's own); returns its reference."""
        ref = str(ref)
        self.rules(ref)  # a broken file fails here, with its Chinese message, not in a widget
        if ref not in self.profiles:
            self.profiles.append(ref)
        return ref

    def title(self, profile: str) -> str:
        """The profile's Chinese title (the part before its parenthesised detail)."""
        if profile in self._rules:
            return profile_title(self._rules[profile])
        title = _title_of(profile)
        return re.split(r"[（(]", title, maxsplit=1)[0].strip() if title else profile_title(self.rules(profile))

    def default_threshold(self, profile: str) -> float:
        return float(self.rules(profile)["monitoring.warning_deviation"])

    def complete(self, f: Filters) -> Filters:
        """``f`` with the data's latest month and the rulebook's threshold where it leaves them open."""
        if f.month is None:
            f = replace(f, month=max(self.months() or [12]))
        if f.threshold is None:
            f = replace(f, threshold=self.default_threshold(f.profile))
        return f

    def scores(self, profile: str) -> Scores:
        with self._lock:
            if profile not in self._scores:
                self._scores[profile] = score_projects(self.data, self.rules(profile))
            return self._scores[profile]

    def is_ready(self, profile: str, month: int) -> bool:
        return (profile, month) in self._monitors

    def base(self, profile: str, month: int) -> pd.DataFrame:
        """Projects with scores and monitoring for (profile, month), computed once."""
        key = (profile, month)
        if key not in self._monitors:
            rules = self.rules(profile)
            per = self.scores(profile).projects
            cols = ["project_id", "total", "grade", "completion", "exec_rate", "status", "provisional_grade",
                    "n_restated"]
            scores = per[[c for c in cols if c in per]].drop_duplicates("project_id")
            mon = monitoring.monitor(self.data, rules, month)
            frame = mon.projects.merge(scores, on="project_id", how="left")
            if "status" not in frame:
                frame["status"] = None
            if "provisional_grade" not in frame:
                frame["provisional_grade"] = None
            pending = frame["status"].eq(PENDING).to_numpy(dtype=bool, na_value=False)
            # 待核实 projects have no recomputed grade: labelled, and a value of the 等级 filter of their own
            frame["grade_label"] = grade_label(frame.assign(status=frame["status"].where(pending, None))).astype(object)
            frame["grade_filter"] = frame["grade"].astype(object).where(~pending, PENDING)
            units = self.data.get("units")
            if units is not None:
                frame = frame.merge(units[["unit_id", "unit_name", "department"]], on="unit_id", how="left")
            else:
                frame["unit_name"], frame["department"] = frame["unit_id"], ""
            # the search box looks in code, name and unit at once: one lower-cased text per project
            shown = plain_text(frame[list(SEARCHED)]).astype(str)
            frame["_search"] = (shown[SEARCHED[0]] + " " + shown[SEARCHED[1]] + " " + shown[SEARCHED[2]]).str.lower()
            with self._lock:
                self._monitorings[key] = mon  # not in frame.attrs: pandas deep-copies attrs on every operation
                self._monitors[key] = frame
        return self._monitors[key]

    def warm(self, profiles: list[str] | None = None, first: tuple[str, int] | None = None) -> threading.Thread:
        """Compute every (profile, month) in the background so later switches are instant.

        ``first`` (the profile and month on screen) goes first, then its profile's other months, so the
        switches an analyst makes first are the ones ready first. ``warm_done``/``warm_total`` report progress.
        """
        order = [(p, m) for p in profiles or self.profiles for m in self.months()]
        if first is not None:
            order.sort(key=lambda pm: (pm != first, pm[0] != first[0], abs(pm[1] - first[1])))
        self.warm_total, self.warm_done = len(order), 0

        def run() -> None:
            for profile, month in order:
                self.base(profile, month)
                self.warm_done += 1
        thread = threading.Thread(target=run, daemon=True, name="perfkit-explorer-warm")
        thread.start()
        return thread

    def _warning(self, f: Filters) -> tuple[pd.Series, pd.Series]:
        """The seed's warning rule at the chosen threshold and its reason, cached per (profile, month,
        threshold): the deviation part of the reason is restated at that threshold."""
        f = self.complete(f)
        key = (f.profile, int(f.month), float(f.threshold))
        if key not in self._warned:
            frame = self.base(f.profile, f.month)
            mon = self._monitorings[(f.profile, f.month)]
            flag = warned_at(replace(mon, projects=frame), f.threshold, self.rules(f.profile)).astype(bool)
            reason = frame["warning_reason"].astype("string").fillna("")
            reason = reason.str.replace(r"；?执行进度与目标总体完成率偏差[^；]*", "", regex=True).str.lstrip("；")
            dev = frame["deviation_pp"].astype(float)
            over = (dev > float(f.threshold)).to_numpy()
            said = ("执行进度与目标总体完成率偏差" + dev.round(1).astype("string")
                    + f"个百分点（超过{float(f.threshold):g}个百分点）")
            reason = reason.mask(over, (reason + "；").where(reason.ne(""), "") + said)
            self._warned[key] = (flag, reason.where(flag.to_numpy(), "").astype(object))
        return self._warned[key]

    def warned(self, f: Filters) -> pd.Series:
        """The seed's warning rule at the chosen threshold, cached per (profile, month, threshold)."""
        return self._warning(f)[0]

    def masks(self, f: Filters, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """One boolean mask per filter in use (the multi-value ones, 预警 and 搜索)."""
        out = {}
        for name, column in FILTER_COLUMNS.items():
            chosen = _values(getattr(f, name))
            if chosen:
                out[name] = frame[column].astype(object).isin(chosen).to_numpy(dtype=bool)
        if f.warning in (YES, NO):
            out["warning"] = self.warned(f).to_numpy(bool) == (f.warning == YES)
        if f.restated in (YES, NO) and "n_restated" in frame:
            out["restated"] = (frame["n_restated"].fillna(0).astype(float) > 0).to_numpy() == (f.restated == YES)
        if f.search.strip():
            words = f.search.strip().lower().split()
            hit = np.ones(len(frame), dtype=bool)
            for w in words:
                hit &= frame["_search"].str.contains(w, regex=False).to_numpy(bool)
            out["search"] = hit
        return out

    def view(self, f: Filters) -> pd.DataFrame:
        """The projects that pass the filters, with the warning and its reason at the chosen threshold."""
        f = self.complete(f)
        frame = self.base(f.profile, f.month)
        mask = np.ones(len(frame), dtype=bool)
        for m in self.masks(f, frame).values():
            mask &= m
        flag, reason = self._warning(f)
        out = frame.loc[mask].assign(warning=flag[mask], warning_reason=reason[mask])
        if self.previous is not None:
            ids = out["project_id"].astype(str)
            out = out.assign(prev_total=ids.map(self.previous["total"]), prev_grade=ids.map(self.previous["grade"]))
        elif self.comparing:  # compared, but the archive has no last year: the columns stay, blank
            out = out.assign(prev_total=np.nan, prev_grade=None)
        return out

    def compare_with(self, archive: str | Path | None, code_map: pd.DataFrame | None = None) -> bool:
        """Show last year's recomputed total and grade beside each project (None: stop comparing), project
        codes followed through 编码变更 (the data's own and the archive's); returns whether the archive
        has last year."""
        if code_map is None:
            code_map = self.data.get("code_changes")
        self.previous = history.last_year_projects(archive, self.year, code_map) if archive else None
        self.comparing = archive is not None
        return self.previous is not None

    def options(self, f: Filters) -> dict[str, list[str]]:
        """Each multi-value filter's choices under the *other* filters (a unit list that follows the
        category), in the rulebook's order for grades and lights; chosen values always stay listed."""
        f = self.complete(f)
        frame = self.base(f.profile, f.month)
        masks = self.masks(f, frame)
        rules = self.rules(f.profile)
        order = {"grade": [*rules["evaluation.grade_bands"], PENDING],
                 "light": [*LIGHTS, rules["monitoring.unreported"]["light"]]}  # 未报送: a light of its own
        opts = {}
        for name, column in FILTER_COLUMNS.items():
            mask = np.ones(len(frame), dtype=bool)
            for other, m in masks.items():
                if other != name:
                    mask &= m
            present = set(frame[column].loc[mask].dropna().astype(str).unique()) | set(_values(getattr(f, name)))
            first = [v for v in order.get(name, []) if v in present]
            opts[name] = first + sorted(present - set(first))
        return opts

    def unit_summary(self, view: pd.DataFrame) -> pd.DataFrame:
        """Per unit: projects, budget (分), mean recomputed score, warned, red-light and 待核实 projects."""
        g = view.groupby("unit_name", observed=True)
        by = view["unit_name"]
        return pd.DataFrame({
            "projects": g.size(), "budget": g["budget"].sum(), "mean_total": g["total"].mean().round(2),
            "warned": g["warning"].sum(), "red": view["light"].eq("红").groupby(by, observed=True).sum(),
            "pending": view["status"].eq(PENDING).groupby(by, observed=True).sum(),
        }).sort_values("warned", ascending=False, kind="stable").reset_index()

    def project_header(self, project_id: str, f: Filters) -> dict[str, str]:
        """What the drill-down shows above a project's indicators: name, total, grade, the year-end
        execution rate (执行率, 全年) apart from the in-year progress (执行进度, 截至月份), warning."""
        f = self.complete(f)
        frame = self.base(f.profile, f.month)
        row = frame.set_index("project_id").loc[project_id]
        flag, reason = self._warning(f)
        at = int(np.flatnonzero(frame["project_id"].astype(str).to_numpy() == str(project_id))[0])
        out = {"项目": f"{project_id} {row['project_name']}", "复核总分": _number(row["total"]),
               "等级": _text(row["grade_label"]), "执行率（全年）": _percent(row.get("exec_rate")),
               f"执行进度（截至{f.month}月）": _percent(row["exec_progress"]),
               "预警": (YES + "：" + _text(reason.iloc[at])) if bool(flag.iloc[at]) else NO}
        if _text(row.get("status")):
            out["复算状态"] = _text(row.get("status"))
        return out

    def indicators(self, project_id: str, profile: str) -> pd.DataFrame:
        """One project's indicators with their recomputed scores and 说明 (columns: INDICATOR_COLUMNS)."""
        ind = self.scores(profile).indicators
        rows = ind[ind["project_id"] == project_id]
        shown = rows.assign(explanation=explain_indicators(rows, self.rules(profile)))
        return shown[[c for c in INDICATOR_COLUMNS if c in shown]]

    def profile_effect(self, f: Filters, before: str) -> str:
        """A sentence on what switching the rule profile from ``before`` changed in the current view."""
        f = self.complete(f)
        if before == f.profile:
            return ""
        now, then = self.view(f), self.view(replace(f, profile=before))
        if now.empty:
            return ""
        then = then.set_index("project_id").reindex(now["project_id"])
        now = now.set_index("project_id")
        total = ~np.isclose(now["total"].astype(float), then["total"].astype(float), equal_nan=True)
        grade = now["grade_label"].astype(str).to_numpy() != then["grade_label"].astype(str).to_numpy()
        warn = now["warning"].to_numpy(bool) != then["warning"].to_numpy(bool)
        said = f"规则口径由「{self.title(before)}」改为「{self.title(f.profile)}」："
        if not (total.any() or grade.any() or warn.any()):
            return said + f"当前筛选下的 {len(now)} 个项目，复核总分、等级和预警均无变化。"
        return said + (f"{int(total.sum())} 个项目复核总分变化，{int(grade.sum())} 个等级变化，"
                       f"{int(warn.sum())} 个预警状态变化。")

    def _proposal_parts(self, profile: str, month: int) -> pd.DataFrame:
        """Per project, next year's cut (分) and what would be recovered *if* it were warned: the
        proposal computed once per (profile, month) with every project warned — recovery applies to
        warned projects only, so any threshold's proposal is these parts under its warning flags
        (a test checks it against the full proposal)."""
        key = (profile, int(month), float("nan"))
        if key not in self._proposals:
            self.base(profile, month)
            mon = self._monitorings[(profile, month)]
            everyone = replace(mon, projects=mon.projects.assign(warning=True))
            p = budget_proposal(self.data, self.scores(profile).projects, everyone, self.rules(profile))
            budget = p["budget"].astype("Int64").fillna(0)
            parts = pd.DataFrame({
                "cut": (budget - p["proposal"].astype("Int64").fillna(0)).clip(lower=0).astype("int64").to_numpy(),
                "recoverable": p["recovered"].astype("Int64").fillna(0).astype("int64").to_numpy(),
            }, index=p["project_id"].astype(str).to_numpy())
            self._proposals[key] = parts
        return self._proposals[key]

    def proposal(self, f: Filters) -> tuple[int, int, int, int]:
        """The budget proposal of the whole year under (profile, month, threshold): (projects cut or
        cancelled, amount cut in 分, projects whose unspent funds are recovered, amount recovered in 分)."""
        f = self.complete(f)
        parts = self._proposal_parts(f.profile, f.month)
        frame = self.base(f.profile, f.month)
        warned_ids = set(frame.loc[self.warned(f).to_numpy(bool), "project_id"].astype(str))
        recovered = parts["recoverable"].where(parts.index.isin(warned_ids), 0)
        return (int((parts["cut"] > 0).sum()), int(parts["cut"].sum()), int((recovered > 0).sum()),
                int(recovered.sum()))

    def proposal_effect(self, f: Filters) -> str:
        """What the threshold and profile on screen do to next year's budget proposal, beside the
        rulebook's own threshold of the default profile (the proposal the report makes)."""
        f = self.complete(f)
        base = self.complete(Filters(month=f.month, profile=self.profiles[0] if DEFAULT_PROFILE not in
                                     self.profiles else DEFAULT_PROFILE))
        n, cut, r, rec = self.proposal(f)
        said = (f"预算安排建议（按当前口径与阈值，全部项目）：压减或取消 {n} 个项目 {format_wan(cut)} 万元，"
                f"收回结余 {r} 个项目 {format_wan(rec)} 万元")
        if (f.profile, f.threshold) == (base.profile, base.threshold):
            return said + "。"
        n0, cut0, r0, rec0 = self.proposal(base)
        return said + (f"；规则手册默认（{self.title(base.profile)}，阈值 {base.threshold:g} 个百分点）下为压减 {n0} 个项目 "
                       f"{format_wan(cut0)} 万元、收回 {r0} 个项目 {format_wan(rec0)} 万元。")

    def export(self, view: pd.DataFrame, path: str | Path, f: Filters | None = None,
               columns: dict[str, str] | None = None, sort: tuple[str | None, bool] = (None, True)) -> Path:
        """The current view as .xlsx for the analyst to keep working in Excel/WPS: every column on screen
        (last year's and the warning reason included) in the order on screen, 万元 and % as number
        formats, 预警 as 是/否, text inert, and a second sheet recording the year, filters and sort that
        made the view. A view with 涉密 projects is marked 内部资料 不得公开 (file name, title, every
        printed page) and those rows say 涉密, as the report's workbook does."""
        f = self.complete(f or Filters())
        columns = columns or VIEW_COLUMNS
        ordered = sort_frame(view, *sort)
        keep = [c for c in columns if c in ordered.columns]
        out = plain_text(ordered[keep]).rename(columns=columns)
        if "warning" in keep:
            out[columns["warning"]] = np.where(ordered["warning"].to_numpy(bool), YES, NO)
        secret = ordered["classified"].fillna(False).astype(bool).to_numpy() if "classified" in ordered else \
            np.zeros(len(ordered), bool)
        if secret.any():
            out["涉密"] = np.where(secret, YES, "")
        now = dt.datetime.now()
        conditions = [("年度", f"{self.year}年")]
        for x in fields(f):
            value = getattr(f, x.name)
            if x.name == "profile":
                value = self.title(value)
            elif isinstance(value, tuple):
                value = "、".join(value) or ALL
            conditions.append((FILTER_LABELS[x.name], "" if value is None else f"{value:g}" if isinstance(value, float)
                               else str(value)))
        sort_by, ascending = sort
        conditions += [("排序", f"{columns.get(sort_by, '原顺序')}（{'升序' if ascending else '降序'}）" if sort_by else "原顺序"),
                       ("导出时间", now.strftime("%Y-%m-%d %H:%M:%S")), ("项目数", str(len(out)))]
        if secret.any():
            conditions.append(("涉密项目数", f"{int(secret.sum())}（{INTERNAL_MARK}）"))
        table = pd.DataFrame(conditions, columns=["条件", "取值"])
        path = Path(path)
        if secret.any() and INTERNAL_MARK.replace(" ", "_") not in path.stem:
            path = path.with_name(f"{path.stem}_{INTERNAL_MARK.replace(' ', '_')}{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        mark = INTERNAL_MARK if secret.any() else None
        title = (f"{self.year}年度 当前视图（{len(out)}个项目，{now.year}年{now.month}月{now.day}日 {now:%H:%M}导出）"
                 + (f"　{INTERNAL_MARK}" if mark else ""))
        money = [columns[c] for c in ("budget",) if c in keep]
        percent = [columns[c] for c in ("exec_progress",) if c in keep]
        decimals = [columns[c] for c in ("total", "prev_total") if c in keep]
        with atomic_path(path) as tmp, excel_writer(tmp, in_memory=True) as xl:  # the layout: reporting/workbook.py
            write_table(xl, "当前视图", out, title, money=money, percent=percent, decimals=decimals, total=True,
                        page_header=mark)
            write_table(xl, "筛选条件", table, f"{self.year}年度 当前视图的筛选条件", freeze_columns=1, page_header=mark)
        return path


def _text(v: object) -> str:
    return "" if v is None or pd.isna(v) else str(v)


def _number(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.2f}".rstrip("0").rstrip(".")


def _percent(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.1%}"


FORMATS: dict[str, Callable[[object], str]] = {
    "budget": format_wan, "exec_progress": _percent, "total": _number, "mean_total": _number,
    "weight": _number, "score": _number, "unit_score": _number, "prev_total": _number,
    "warning": lambda v: "" if v is None or pd.isna(v) else ("是" if v else "否"),
    "restated": lambda v: "是" if isinstance(v, bool | np.bool_) and v else "",
    "n_restated": lambda v: "" if v is None or pd.isna(v) else str(int(v)),
}


def sort_frame(frame: pd.DataFrame, sort: str | None, ascending: bool = True) -> pd.DataFrame:
    """``frame`` sorted on the raw values of ``sort`` (text as text, blanks last); unchanged without one."""
    if sort not in frame.columns:
        return frame
    key = frame[sort]
    if isinstance(key.dtype, pd.CategoricalDtype) or key.dtype == object:
        key = key.astype("string")
    return frame.assign(_key=key).sort_values("_key", ascending=ascending, kind="stable",
                                              na_position="last").drop(columns="_key")


def page_of(frame: pd.DataFrame, sort: str | None = None, ascending: bool = True, page: int = 0,
            size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int, int]:
    """One page of ``frame`` sorted on its raw values (blanks last); returns (rows, page, pages).

    Sorting the raw column and formatting only the page's rows keeps an update's cost independent of
    the number of rows."""
    pages = max(1, -(-len(frame) // size))
    page = min(max(page, 0), pages - 1)
    frame = sort_frame(frame, sort, ascending)
    return frame.iloc[page * size:(page + 1) * size], page, pages


# a click on a row of the 项目 table opens that project in 「项目指标（说明）」: the row's code goes into a
# hidden text box (class pk-open) whose value the kernel observes — an HTML widget sends no events itself
ROW_CLICK = ("var r=event.target.closest('tr[data-pid]');if(!r)return;"
             "var i=this.closest('.perfkit-explorer').querySelector('.pk-open input');if(!i)return;"
             "i.value=r.getAttribute('data-pid')+'|'+Date.now();i.dispatchEvent(new Event('input',{bubbles:true}));")
# (the time makes every click a new value: the same row clicked twice opens it twice)


def html_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, page: int = 0, pages: int = 1,
               total: int | None = None, row_ids: Iterable[str] | None = None) -> str:
    """An escaped HTML table (data may contain markup): 万元, %, 是/否 — never raw fractions or floats.

    With ``row_ids`` each row carries its project code and a click on it opens the project.
    Built by hand: pandas' to_html takes ~25 ms for 50 rows, this ~1 ms, and an update's budget is 50 ms."""
    shown = plain_text(frame)
    cells = []
    for c in shown.columns:
        show = FORMATS.get(c, _text)
        cells.append([html.escape(show(v)) for v in shown[c].tolist()])
    head = "".join(f"<th>{html.escape(str((columns or {}).get(c, c)))}</th>" for c in shown.columns)
    if row_ids is None:
        starts = ["<tr>"] * len(shown)
        table = "<table class='dataframe'>"
    else:
        starts = [f"<tr data-pid=\"{html.escape(str(i), quote=True)}\" title='单击查看该项目的指标与说明'>" for i in row_ids]
        table = f"<table class='dataframe pk-rows' onclick=\"{ROW_CLICK}\">"
    body = "".join(start + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for start, row in zip(starts, zip(*cells, strict=True), strict=True)) if cells else ""
    total = len(frame) if total is None else total
    where = f"，第 {page + 1} / {pages} 页" if pages > 1 else ""
    return (f"<p>共 {total} 行{where}</p>{table}<thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def html_bars(counts: pd.Series, title: str) -> str:
    """A bar chart in plain HTML/CSS: instant to redraw, nothing to load. Zero bars are left out."""
    counts = counts[counts > 0]
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    rows = "".join(
        f"<div style='display:flex;align-items:center;margin:1px 0'><span style='width:13em'>{html.escape(str(k))}"
        f"</span><span style='background:#b03a2e;height:0.9em;width:{int(300 * v / peak)}px'></span>"
        f"<span style='margin-left:4px'>{int(v)}</span></div>" for k, v in counts.items())
    empty = "" if len(counts) else "<div>当前筛选下没有预警项目</div>"
    return f"<div><b>{html.escape(title)}</b>{rows}{empty}</div>"


def font_style(text: str) -> str:
    """A <style> giving every part of the explorer — and the notebook's own headings and text around
    it — the bundled CJK font (a subset for ``text``), so a machine without CJK system fonts shows
    Chinese, not boxes, in widgets, tables, tab labels and headings."""
    from perfkit.reporting.fonts import FAMILY, font_face_css

    return (f"<style>{font_face_css(text)} .perfkit-explorer, .perfkit-explorer *, .jp-RenderedMarkdown, "
            ".jp-RenderedMarkdown *, .jp-RenderedHTMLCommon h1, .jp-RenderedHTMLCommon h2 "
            f"{{ font-family: '{FAMILY}', var(--jp-ui-font-family), sans-serif !important; }}"
            " .perfkit-explorer th { white-space: nowrap; } .perfkit-explorer .pk-rows tbody tr { cursor: pointer; }"
            " .perfkit-explorer .pk-rows tbody tr:hover { background: #f3e6e4; }</style>")


class Pager:
    """A sortable, paged table widget: all rows reachable, one page of HTML sent per change."""

    def __init__(self, columns: dict[str, str], sort: str | None, ascending: bool, clickable: bool = False):
        import ipywidgets as W

        self.columns = columns
        self.clickable = clickable
        self.frame = pd.DataFrame(columns=list(columns))
        self.page = 0
        self.sort = W.Dropdown(options=[(v, k) for k, v in columns.items()], value=sort, description="排序",
                               layout=W.Layout(width="16em"), style={"description_width": "initial"})
        self.ascending = W.ToggleButtons(options=[("升序", True), ("降序", False)], value=ascending,
                                         style={"button_width": "4em"})
        self.prev = W.Button(description="上一页", layout=W.Layout(width="6em"))
        self.next = W.Button(description="下一页", layout=W.Layout(width="6em"))
        self.html = W.HTML()
        self.prev.on_click(lambda _b: self.turn(-1))
        self.next.on_click(lambda _b: self.turn(+1))
        self.sort.observe(lambda _c: self.first_page(), names="value")
        self.ascending.observe(lambda _c: self.first_page(), names="value")
        self.box = W.VBox([W.HBox([self.sort, self.ascending, self.prev, self.next]), self.html])

    def set_columns(self, columns: dict[str, str]) -> None:
        """Other columns (last year's in or out); the sort is kept when its column stays."""
        self.columns = columns
        keep = self.sort.value if self.sort.value in columns else None
        self.sort.options = [(v, k) for k, v in columns.items()]
        self.sort.value = keep if keep is not None else next(iter(columns))

    def first_page(self) -> None:
        self.page = 0
        self.render()

    def turn(self, step: int) -> None:
        self.page += step
        self.render()

    def show(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.render()

    def render(self) -> None:
        rows, self.page, pages = page_of(self.frame, self.sort.value, self.ascending.value, self.page)
        shown = [c for c in self.columns if c in rows.columns]  # columns may change before the rows do
        ids = rows["project_id"].astype(str).tolist() if self.clickable and "project_id" in rows else None
        self.html.value = html_table(rows[shown], self.columns, self.page, pages, len(self.frame), ids)
        self.prev.disabled, self.next.disabled = self.page == 0, self.page >= pages - 1


MULTI = ("unit", "department", "category", "monitor_class", "grade", "light")


class ExplorerUI:
    """ipywidgets over an :class:`Explorer`. Every observer is synchronous: set ``.value`` and what is on
    screen is up to date when the assignment returns (tabs not on screen are redrawn when shown)."""

    def __init__(self, explorer: Explorer, month: int | None = None, profile: str | None = None,
                 export_dir: str | Path = ".", archive: str | Path | None = None):
        import ipywidgets as W

        self.ex = explorer
        self.home = explorer  # the year of the data opened (its 编码变更 link the archived years)
        self._explorers = {explorer.year: explorer}
        self.archive = Path(archive) if archive and Path(archive).exists() else None
        self.export_dir = Path(export_dir)
        profile = explorer.add_profile(profile) if profile else DEFAULT_PROFILE if DEFAULT_PROFILE in \
            explorer.profiles else explorer.profiles[0]
        self.filters = explorer.complete(Filters(month=month, profile=profile))
        opts = explorer.options(self.filters)
        wide, label = W.Layout(width="24em"), {"description_width": "5em"}

        def multi(name: str, width: str = "24em") -> object:
            return W.SelectMultiple(options=opts[name], value=(), description=FILTER_LABELS[name], rows=4,
                                    layout=W.Layout(width=width), style=label)
        threshold = self.filters.threshold
        slider = W.IntSlider if float(threshold).is_integer() else W.FloatSlider
        self.w = {
            "unit": multi("unit", "30em"), "department": multi("department"), "category": multi("category"),
            "monitor_class": multi("monitor_class"), "grade": multi("grade"), "light": multi("light"),
            "warning": W.Dropdown(options=[ALL, YES, NO], value=ALL, description="预警", layout=W.Layout(width="14em"),
                                  style=label),
            "restated": W.Dropdown(options=[ALL, YES, NO], value=ALL, description="单位自述",
                                   layout=W.Layout(width="14em"), style=label),
            "search": W.Text(value="", placeholder="项目编码、名称或单位，回车确认", description="搜索",
                             continuous_update=False, layout=W.Layout(width="30em"), style=label),
            "month": W.IntSlider(value=self.filters.month, min=1, max=max(explorer.months() or [12]),
                                 description="截至月份", style=label),
            "threshold": slider(value=int(threshold) if slider is W.IntSlider else threshold,
                                min=THRESHOLD_RANGE[0], max=THRESHOLD_RANGE[1], description="预警阈值", style=label),
            "profile": W.Dropdown(options=self._profile_options(), value=profile, description="规则口径",
                                  layout=W.Layout(width="30em"), style=label),
        }
        # 单位自述 (an actual restating its target) where the scoring marks it
        self.has_restated = "n_restated" in explorer.base(self.filters.profile, self.filters.month)
        self.year_w = self.compare_w = None
        if self.archive is not None:
            from perfkit.io import archive as arc

            years = sorted(set(arc.years(self.archive)["year"].astype(int)) | {explorer.year})
            self.year_w = W.Dropdown(options=[(f"{y}年" + ("（当前数据）" if y == explorer.year else "（年度档案）"), y)
                                              for y in years], value=explorer.year, description="年度",
                                     layout=wide, style=label)
            self.compare_w = W.Checkbox(value=False, description="与上年对比（年度档案）", indent=False)
            self.year_w.observe(lambda change: self._year_changed(change["new"]), names="value")
            self.compare_w.observe(lambda change: self._compare_changed(change["new"]), names="value")
        self.font_chars = _ui_text() + _dataset_text(explorer)
        self.style = W.HTML(font_style(self.font_chars))
        self.projects = Pager(VIEW_COLUMNS, "warning", False, clickable=True)
        self.units = Pager(UNIT_COLUMNS, "warned", False)
        self.project_search = W.Text(value="", placeholder="在列表中查找：编码或名称", description="查找",
                                     continuous_update=False, layout=W.Layout(width="24em"), style=label)
        self.project = W.Dropdown(options=[], description="项目", layout=W.Layout(width="48em"), style=label)
        self.open_w = W.Text(value="", layout=W.Layout(display="none"))
        self.open_w.add_class("pk-open")
        self.project_note = W.HTML()
        self.detail = W.HTML()
        self.chart = W.HTML()
        self.status = W.HTML()
        self.note = W.HTML()
        self.effect = W.HTML()
        self.export_button = W.Button(description="导出当前视图 (.xlsx)", layout=W.Layout(width="14em"))
        self.tabs = W.Tab(children=[self.projects.box, self.units.box,
                                    W.VBox([W.HBox([self.project_search, self.project]), self.project_note,
                                            self.detail])])
        for i, title in enumerate(["项目", "单位汇总", "项目指标（说明）"]):
            self.tabs.set_title(i, title)
        for out in (self.chart, self.projects.html, self.units.html, self.detail, self.project_note, self.note,
                    self.effect):
            out.add_class("pk-out")  # what an update redraws (benchmarks/bench_explorer_browser.py watches these)
        self._stale: set[int] = set()
        self._quiet = False
        self._quiet_filters = False
        for name, widget in self.w.items():
            widget.observe(lambda change, n=name: self._changed(n, change["old"], change["new"]), names="value")
        self.project.observe(lambda change: self._show_project(change["new"]), names="value")
        self.project_search.observe(lambda _c: self._project_list(), names="value")
        self.open_w.observe(lambda change: self.open_project(change["new"]), names="value")
        self.tabs.observe(lambda change: self._draw_tab(change["new"]), names="selected_index")
        self.export_button.on_click(lambda _b: self.export())
        self.view = pd.DataFrame()
        self.refresh()

    def _profile_options(self) -> list[tuple[str, str]]:
        """规则口径 by Chinese title; two profiles of the same title are told apart by their file."""
        titles = [(self.ex.title(p), p) for p in self.ex.profiles]
        seen = pd.Series([t for t, _ in titles]).duplicated(keep=False).tolist()
        return [(f"{t}（{Path(p).name}）" if dup else t, p) for (t, p), dup in zip(titles, seen, strict=True)]

    def _set_quietly(self, widget: object, **traits: object) -> None:
        self._quiet_filters = True
        try:
            for k, v in traits.items():
                setattr(widget, k, v)
        finally:
            self._quiet_filters = False

    def _sync_options(self) -> None:
        """Each multi-value filter lists what the other filters leave (sent only when it changed)."""
        opts = self.ex.options(self.filters)
        for name in MULTI:
            widget = self.w[name]
            if tuple(widget.options) != tuple(opts[name]):
                chosen = tuple(v for v in _values(getattr(self.filters, name)) if v in opts[name])
                self._set_quietly(widget, options=opts[name], value=chosen)

    def _year_changed(self, year: int) -> None:
        """Another year: its explorer (the archived input, re-analysed); the filters stay where the
        other year has the same values (a value it lacks is dropped, and the note says which)."""
        from perfkit.io import archive as arc

        if year not in self._explorers:
            self.note.value = f"<i>读取 {year} 年度的档案数据……</i>"
            ex = Explorer(arc.dataset(self.archive, year), year, profiles=list(self.home.profiles))
            ex.warm(first=(self.filters.profile, self.filters.month))
            self._explorers[year] = ex
        self.ex = self._explorers[year]
        months = self.ex.months() or [12]
        month = min(int(self.filters.month), max(months))
        wide_open = replace(self.filters, month=month, **dict.fromkeys(MULTI, ()), warning=ALL, restated=ALL,
                            search="")
        everything = self.ex.options(wide_open)
        dropped = []
        kept = {}
        for name in MULTI:
            chosen = _values(getattr(self.filters, name))
            kept[name] = tuple(v for v in chosen if v in everything[name])
            dropped += [f"{FILTER_LABELS[name]}「{v}」" for v in chosen if v not in kept[name]]
        self.filters = replace(self.filters, month=month, **kept)
        self._set_quietly(self.w["month"], max=max(months), value=month)
        self._compare_changed(bool(self.compare_w.value), redraw=False)
        self.refresh()
        said = f"已切换到 {year} 年度，筛选条件保留。"
        if dropped:
            said += f"该年度没有{'、'.join(dropped)}，已从筛选中去掉。"
        self.note.value = html.escape(said) + self._compare_note()

    def _compare_note(self) -> str:
        if self.compare_w is not None and self.compare_w.value and self.ex.previous is None:
            return html.escape(f"年度档案中没有 {self.ex.year - 1} 年度，上年复核总分、上年等级为空。")
        return ""

    def _compare_changed(self, on: bool, redraw: bool = True) -> None:
        self.ex.compare_with(self.archive if on else None, self.home.data.get("code_changes"))
        self.projects.set_columns({**VIEW_COLUMNS, **COMPARE_COLUMNS} if on else VIEW_COLUMNS)
        if redraw:
            self.refresh()
            self.note.value = self._compare_note()

    def _changed(self, name: str, old: object, value: object) -> None:
        if self._quiet_filters:
            return
        if name in MULTI:
            value = _values(value)
        before = self.filters
        self.filters = replace(self.filters, **{name: value})
        if name == "profile" and float(before.threshold) == self.ex.default_threshold(str(old)):
            # the threshold follows the profile's own while the analyst has not moved it
            new = self.ex.default_threshold(str(value))
            self.filters = replace(self.filters, threshold=new)
            self._set_quietly(self.w["threshold"], value=int(new) if isinstance(self.w["threshold"].value, int) else new)
        busy = not self.ex.is_ready(self.filters.profile, self.filters.month)
        if busy:
            self.note.value = "<i>计算中……（该口径与月份尚未预计算，约需 1 秒）</i>"
        self.refresh()
        self.note.value = html.escape(self.ex.profile_effect(self.filters, str(old))) if name == "profile" else ""
        if name in ("profile", "threshold"):
            self.effect.value = html.escape(self.ex.proposal_effect(self.filters))

    def refresh(self) -> None:
        """Recompute the view, then redraw the chart and the tab on screen; mark the other tabs stale."""
        self._sync_options()
        self.view = self.ex.view(self.filters)
        self.status.value = ""
        warned = self.view.loc[self.view["warning"]]
        counts = warned["category"].astype(str).value_counts()
        self.chart.value = html_bars(counts, f"预警项目数（按支出类别，阈值 {self.filters.threshold:g} 个百分点，"
                                             f"共 {len(warned)} 个，{format_wan(warned['budget'].sum())} 万元）")
        self._stale = {0, 1, 2}
        self._draw_tab(self.tabs.selected_index or 0)

    def _draw_tab(self, index: int | None) -> None:
        if index is None or index not in self._stale:
            return
        self._stale.discard(index)
        if index == 0:
            self.projects.page = 0
            self.projects.show(self.view)
        elif index == 1:
            self.units.page = 0
            self.units.show(self.ex.unit_summary(self.view))
        else:
            self._project_list()

    def listed(self) -> pd.DataFrame:
        """The drill-down's projects: those in view (not 涉密), warned first — the order the note
        promises — then by code; narrowed by the 查找 box."""
        listed = self.view.loc[~self.view["classified"].fillna(False).astype(bool)]
        words = self.project_search.value.strip().lower().split()
        for w in words:
            listed = listed.loc[listed["_search"].str.contains(w, regex=False).to_numpy(bool)]
        return listed.assign(_pid=listed["project_id"].astype(str)).sort_values(
            ["warning", "_pid"], ascending=[False, True], kind="stable")

    def _project_list(self, keep: str | None = None) -> None:
        """The drill-down list, warned first; the chosen project kept while it stays in view."""
        listed = self.listed()
        hidden = int(self.view["classified"].fillna(False).astype(bool).sum())
        ids = plain_text(listed[["project_id", "project_name", "warning"]].head(PROJECT_LIST_LIMIT))
        options = [(f"{pid} {name}" + ("（预警）" if w else ""), str(pid))
                   for pid, name, w in zip(ids["project_id"], ids["project_name"], ids["warning"], strict=True)]
        keep = keep or self.project.value
        values = {v for _, v in options}
        if keep is not None and keep not in values and keep in set(listed["_pid"]):
            row = plain_text(listed.loc[listed["_pid"] == keep, ["project_id", "project_name"]]).iloc[0]
            options.insert(0, (f"{row['project_id']} {row['project_name']}", keep))  # opened from the table
            values.add(keep)
        keep = keep if keep in values else None
        notes = []
        if len(listed) > PROJECT_LIST_LIMIT:
            notes.append(f"当前筛选下共 {len(listed)} 个项目，下拉框列出按预警排序（预警项目在前）的前 "
                         f"{PROJECT_LIST_LIMIT} 个，请用「查找」或上方筛选缩小范围，或在「项目」表中单击一行")
        if hidden:
            notes.append(f"另有 {hidden} 个涉密项目未列出")
        self.project_note.value = html.escape("；".join(notes))
        self._quiet = True  # the options change resets the selection; show the project once, below
        try:
            if [tuple(o) for o in self.project.options] != options:  # 500 entries: sent only when they change
                self.project.options = options
            self.project.value = keep if keep is not None else (options[0][1] if options else None)
        finally:
            self._quiet = False
        if not options:
            self.detail.value = "<p>当前筛选下没有可查看的项目（没有项目，或只有涉密项目），请放宽筛选条件。</p>"
        else:
            self._show_project(self.project.value)

    def open_project(self, clicked: str) -> None:
        """A click on a row of the 项目 table (``<code>|<time>``, or a bare code): that project in
        「项目指标（说明）」."""
        project_id = str(clicked or "").rsplit("|", 1)[0] if "|" in str(clicked or "") else str(clicked or "")
        if not project_id:
            return
        row = self.view.loc[self.view["project_id"].astype(str) == str(project_id)]
        if row.empty:
            return
        if bool(row["classified"].fillna(False).astype(bool).iloc[0]):
            self.note.value = html.escape(f"项目 {project_id} 为涉密项目，不在此查看其指标。")
            return
        self.project_search.unobserve_all("value")
        self.project_search.value = ""
        self.project_search.observe(lambda _c: self._project_list(), names="value")
        self._stale.discard(2)
        self._project_list(keep=str(project_id))
        self.tabs.selected_index = 2

    def _show_project(self, project_id: str | None) -> None:
        if not project_id or self._quiet:
            return
        head = self.ex.project_header(project_id, self.filters)
        header = "　".join(f"<b>{html.escape(k)}</b>：{html.escape(v)}" for k, v in head.items())
        self.detail.value = f"<p>{header}</p>" + html_table(self.ex.indicators(project_id, self.filters.profile),
                                                           INDICATOR_COLUMNS)

    def export(self) -> Path:
        """The view as .xlsx (every column on screen, in the order on screen), with a busy indicator
        and a download link the browser can fetch (JupyterLab serves files under /files/)."""
        self.export_button.disabled, label = True, self.export_button.description
        self.export_button.description = "导出中……"
        self.status.value = "<i>正在导出……</i>"
        try:
            name = f"{self.ex.year}年度_当前视图_{dt.datetime.now():%Y%m%d_%H%M%S}.xlsx"
            path = self.ex.export(self.view, self.export_dir / name, self.filters, self.projects.columns,
                                  (self.projects.sort.value, bool(self.projects.ascending.value)))
        finally:
            self.export_button.disabled, self.export_button.description = False, label
        where = self.export_dir.as_posix()
        href = files_url(path) or f"{where.rstrip('/')}/{path.name}"
        secret = "（含涉密项目：内部资料，不得公开）" if INTERNAL_MARK.replace(" ", "_") in path.name else ""
        self.status.value = (f"已导出 {len(self.view)} 行{secret}：<a href='{html.escape(href, quote=True)}' "
                             f"download='{html.escape(path.name, quote=True)}' class='pk-download'>"
                             f"{html.escape(path.name)}</a>（在左侧文件浏览器的「{html.escape(where)}」文件夹中）")
        return path

    def warm_progress(self, thread: threading.Thread) -> threading.Thread:
        """Show the background warm-up's progress in the note line until it is done."""
        import ipywidgets as W

        bar = W.IntProgress(min=0, max=max(self.ex.warm_total, 1), description="后台预计算",
                            style={"description_width": "initial"})
        bar.add_class("pk-warm")
        self.progress = bar

        def follow() -> None:
            while thread.is_alive():
                bar.value = self.ex.warm_done
                thread.join(0.5)
            bar.value = bar.max
            bar.description = "预计算完成"
            bar.layout.display = "none"
        watcher = threading.Thread(target=follow, daemon=True, name="perfkit-explorer-progress")
        watcher.start()
        return watcher

    def widget(self):
        import ipywidgets as W

        w = self.w
        extra = [self.progress] if hasattr(self, "progress") else []
        years = [W.HBox([self.year_w, self.compare_w])] if self.year_w is not None else []
        filters = W.VBox([*years, W.HBox([w["unit"], w["department"], w["category"]]),
                          W.HBox([w["monitor_class"], w["grade"], w["light"]]),
                          W.HBox([w["warning"], *([w["restated"]] if self.has_restated else []), w["search"]]), W.HBox([w["month"], w["threshold"], w["profile"]]),
                          W.HBox([self.export_button, self.status]), W.HBox([self.note, *extra]), self.effect,
                          self.open_w])
        box = W.VBox([self.style, filters, self.chart, self.tabs])
        box.add_class("perfkit-explorer")
        return box


def files_url(path: str | Path) -> str | None:
    """The URL path under which the Jupyter server running this kernel serves ``path`` for download
    (``<base_url>files/<path from its root>``), or None outside Jupyter. A link to the notebook's own
    folder would open JupyterLab's page instead of the file (/lab/tree/…)."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:  # pragma: no cover - jupyter_server comes with jupyterlab
        return None
    from urllib.parse import quote

    target = Path(path).resolve()
    best: tuple[int, str, str] | None = None
    try:
        servers = list(list_running_servers())
    except OSError:
        return None
    for info in servers:
        root = info.get("root_dir") or info.get("notebook_dir")
        if not root:
            continue
        root = Path(root).resolve()
        try:
            rel = target.relative_to(root)
        except ValueError:
            continue
        if best is None or len(root.parts) > best[0]:
            best = (len(root.parts), str(info.get("base_url") or "/"), rel.as_posix())
    if best is None:
        return None
    return best[1].rstrip("/") + "/files/" + quote(best[2])


def _ui_text() -> str:
    """Every character of the explorer's own labels and sentences (this module's source) and of the
    notebooks perfkit ships (their headings render in the same font)."""
    text = Path(__file__).read_text(encoding="utf-8")
    from perfkit import shipped_notebooks

    shipped = shipped_notebooks()
    if shipped.is_dir():
        text += "".join(p.read_text(encoding="utf-8") for p in sorted(shipped.glob("*.ipynb")))
    return "".join(set(text))


def _dataset_text(explorer: Explorer) -> str:
    """Every character the explorer may show from the data, for the font subset (computed once)."""
    parts = []
    for frame in explorer.data.tables.values():
        for c in frame.columns:
            col = frame[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                parts.append("".join(map(str, col.cat.categories)))
            elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                parts.append("".join(map(str, col.dropna().unique())))
    # 说明 are built from the sentences of the evaluation module, the data and each profile's sources;
    # the profile files' text (read, not parsed) holds every source, title and word of the rules
    from perfkit.analyses import evaluation
    from perfkit.rules.rulebook import PROFILES_DIR

    parts.append(Path(evaluation.__file__).read_text(encoding="utf-8"))
    for profile in explorer.profiles:
        path = Path(profile) if Path(profile).suffix in (".yaml", ".yml") else PROFILES_DIR / f"{profile}.yaml"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8"))
    return "".join(set("".join(parts)))


def open_explorer(data: str | Path | Dataset, month: int | None = None, profile: str | None = None,
                  export_dir: str | Path = "导出", archive: str | Path | None = None,
                  profiles: Iterable[str | Path] = ()) -> ExplorerUI:
    """What explore.ipynb calls: open the data, start the background warm-up (the month and profile on
    screen first) with its progress shown, and build the UI (with a year switch and a comparison with
    last year when the archive exists — by default the one beside the data, see
    :func:`perfkit.io.archive.locate`). ``month`` None: the data's latest month; ``profile`` a name or a
    district's own .yaml file (``profiles``: more such files to offer)."""
    from perfkit.io import archive as arc

    if archive is None and not isinstance(data, Dataset):
        archive = arc.locate(data)
    explorer = Explorer.open(data, archive=archive)
    for extra in profiles:
        explorer.add_profile(extra)
    if profile:
        profile = explorer.add_profile(profile)
    f = explorer.complete(Filters(month=month, profile=profile or DEFAULT_PROFILE))
    thread = explorer.warm(first=(f.profile, f.month))
    ui = ExplorerUI(explorer, month=f.month, profile=f.profile, export_dir=export_dir, archive=archive)
    ui.warm_progress(thread)
    return ui
