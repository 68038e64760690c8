"""The explorer's model: one dataset's analyses cached per (profile, month), sliced by :class:`Filters` —
the view, each filter's choices, last year beside this year, a project's indicators with their 说明,
and what the profile and threshold on screen do to next year's budget proposal."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.analyses import history, monitoring
from perfkit.analyses.application import budget_proposal, warning_flags_at
from perfkit.analyses.evaluation import PENDING, Scores, explain_indicators, grade_label, score_projects
from perfkit.io.load import Dataset, load
from perfkit.io.values import format_wan, plain_text
from perfkit.pipeline import kept as kept_mod
from perfkit.reporting.explorer.export import export_view
from perfkit.reporting.explorer.state import (
    FILTER_COLUMNS,
    INDICATOR_COLUMNS,
    NO,
    SEARCHED,
    YES,
    Filters,
    cache_root,
    chosen_values,
    digested_load,
    profile_title,
    title_in_file,
)
from perfkit.reporting.explorer.tables import cell_number, cell_percent, cell_text
from perfkit.rules.formulas import LIGHTS
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, available_profiles, load_rules


@dataclass
class Explorer:
    """Cached analyses of one dataset, sliced by :class:`Filters`."""

    data: Dataset
    year: int
    _scores: dict[str, Scores] = field(default_factory=dict)
    _monitors: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    _monitorings: dict[tuple[str, int], monitoring.Monitoring] = field(default_factory=dict)
    _warned: dict[tuple[str, int, float], tuple[pd.Series, pd.Series]] = field(default_factory=dict)
    _proposals: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)  # per (profile, month)
    _rules: dict[str, Rulebook] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _computing: dict[tuple[str, int], threading.Lock] = field(default_factory=dict)  # one lock per (profile, month)
    _stop: threading.Event = field(default_factory=threading.Event)
    _warming: list[threading.Thread] = field(default_factory=list)
    warm_done: int = 0
    warm_total: int = 0
    profiles: list[str] = field(default_factory=available_profiles)  # what the 规则口径 list offers
    previous: pd.DataFrame | None = None  # last year's total and grade per project (from the archive), to compare
    comparing: bool = False  # 与上年对比 ticked (previous may still be None: no last year archived)
    digest: str | None = None  # the input's content (perfkit.pipeline.kept.input_digest); None: a Dataset given
    _kept: dict[tuple[str, int], monitoring.Monitoring] = field(default_factory=dict)  # kept, not yet in base

    @classmethod
    def open(cls, data: str | Path | Dataset, year: int | None = None, cache: bool = True,
             archive: str | Path | None = None) -> Explorer:
        """The explorer of ``data``; a workbook or folder is read through the validated snapshot of
        its content (see :func:`cached_load`), so an unchanged input opens without being parsed again.
        ``archive``: codes 涉密 in an archived year are 涉密 here too (the one 涉密 decision)."""
        digest = None
        if isinstance(data, Dataset):
            ds = data
        elif cache:
            ds, digest = digested_load(data)
        else:
            ds = load(data)
        if archive is not None and Path(archive).is_file() and ds.secrecy is not None:
            from perfkit.io.secrecy import decide

            decide(ds, archive)
        if year is None:
            year = int(ds.table("projects")["year"].dropna().mode().iloc[0])
        return cls(ds, year, digest=digest)

    def _kept_key(self, profile: str, month: int, archive: str | Path | None) -> tuple | None:
        """What a kept result for (profile, month) must have been computed from (None: this input cannot
        use one — a Dataset given, or several years in the data, of which the report analyses one)."""
        if self.digest is None or self.data.table("projects")["year"].dropna().nunique() > 1:
            return None
        return kept_mod.key(self.digest, self.year, month, profile, archive)

    def start_from_kept(self, profile: str, month: int, archive: str | Path | None) -> kept_mod.Start | None:
        """Start (profile, month) from the scores and monitoring ``perfkit report`` — or an earlier opening
        — computed for this very input, year, month, rules and archive (:mod:`perfkit.pipeline.kept`);
        None, and nothing changed, when there is none that fits: then it is computed as before."""
        k = self._kept_key(profile, month, archive)
        start = None if k is None else kept_mod.kept(cache_root() / kept_mod.FOLDER, k)
        if start is not None:
            with self._lock:
                self._scores.setdefault(profile, start.scores)
                self._kept[(profile, int(month))] = start.monitoring
        return start

    def keep_for_next(self, profile: str, month: int, archive: str | Path | None) -> Path | None:
        """Keep (profile, month)'s scores and monitoring for the next opening of the same input."""
        k = self._kept_key(profile, month, archive)
        if k is None:
            return None
        self.base(profile, month)
        return kept_mod.keep(cache_root() / kept_mod.FOLDER, k, self.scores(profile),
                             self._monitorings[(profile, int(month))], kept_mod.BY_EXPLORER)

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
        title = title_in_file(profile)
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
        """Projects with scores and monitoring for (profile, month), computed once — by whoever asks first:
        the screen and the background warm-up ask for the same (profile, month) at opening, and the
        second waits for the first instead of computing it again beside it."""
        key = (profile, month)
        if key in self._monitors:
            return self._monitors[key]
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            if key not in self._monitors:
                rules = self.rules(profile)
                per = self.scores(profile).projects
                cols = ["project_id", "total", "grade", "completion", "exec_rate", "status", "provisional_grade",
                        "n_restated"]
                scores = per[[c for c in cols if c in per]].drop_duplicates("project_id")
                mon = self._kept.pop(key, None) or monitoring.monitor(self.data, rules, month)
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
                if self._stop.is_set():
                    return
                self.base(profile, month)
                self._proposal_parts(profile, month)  # the proposal line under a threshold or profile change
                self.warm_done += 1
        thread = threading.Thread(target=run, daemon=True, name="perfkit-explorer-warm")
        thread.start()
        self._warming.append(thread)
        return thread

    def stop_warm(self) -> None:
        """Stop the background warm-up after the (profile, month) under way, and wait for it (a kernel
        shut down, or a test that must not leave a thread computing beside the next one)."""
        self._stop.set()
        for thread in self._warming:
            thread.join()

    def _warning(self, f: Filters) -> tuple[pd.Series, pd.Series]:
        """The seed's warning rule at the chosen threshold and its reason, cached per (profile, month,
        threshold): the deviation part of the reason is restated at that threshold."""
        f = self.complete(f)
        key = (f.profile, int(f.month), float(f.threshold))
        if key not in self._warned:
            frame = self.base(f.profile, f.month)
            mon = self._monitorings[(f.profile, f.month)]
            flag = warning_flags_at(replace(mon, projects=frame), f.threshold, self.rules(f.profile)).astype(bool)
            reason = frame["warning_reason"].astype("string").fillna("")
            reason = reason.str.replace(r"；?执行进度与目标总体完成率偏差[^；]*", "", regex=True).str.lstrip("；")
            dev = frame["deviation_pp"].astype(float)
            over = (dev > float(f.threshold)).to_numpy()
            said = ("执行进度与目标总体完成率偏差" + dev.round(1).astype("string")
                    + f"个百分点（超过{float(f.threshold):g}个百分点）")
            reason = reason.mask(over, (reason + "；").where(reason.ne(""), "") + said)
            self._warned[key] = (flag, reason.where(flag.to_numpy(), "").astype(object))
        return self._warned[key]

    def warning_flags(self, f: Filters) -> pd.Series:
        """The seed's warning rule at the chosen threshold, cached per (profile, month, threshold)."""
        return self._warning(f)[0]

    def masks(self, f: Filters, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """One boolean mask per filter in use (the multi-value ones, 预警 and 搜索)."""
        out = {}
        for name, column in FILTER_COLUMNS.items():
            chosen = chosen_values(getattr(f, name))
            if chosen:
                out[name] = frame[column].astype(object).isin(chosen).to_numpy(dtype=bool)
        if f.warning in (YES, NO):
            out["warning"] = self.warning_flags(f).to_numpy(bool) == (f.warning == YES)
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
            present = set(frame[column].loc[mask].dropna().astype(str).unique()) | set(chosen_values(getattr(f, name)))
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
        out = {"项目": f"{project_id} {row['project_name']}", "复核总分": cell_number(row["total"]),
               "等级": cell_text(row["grade_label"]), "执行率（全年）": cell_percent(row.get("exec_rate")),
               f"执行进度（截至{f.month}月）": cell_percent(row["exec_progress"]),
               "预警": (YES + "：" + cell_text(reason.iloc[at])) if bool(flag.iloc[at]) else NO}
        if cell_text(row.get("status")):
            out["复算状态"] = cell_text(row.get("status"))
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
        key = (profile, int(month))  # (a NaN in the key made every look-up miss: NaN != NaN)
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
        warned_ids = set(frame.loc[self.warning_flags(f).to_numpy(bool), "project_id"].astype(str))
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
        """The current view as .xlsx (see :func:`perfkit.reporting.explorer.export.export_view`)."""
        return export_view(self, view, path, f, columns, sort)
