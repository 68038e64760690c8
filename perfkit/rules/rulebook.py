"""The rulebook: every weight, threshold, band and tier as data, with description, unit and source.

In the spirit of OpenFisca's parameter files: a profile is a YAML file whose parameters carry values by
the date they apply from; a profile may extend another and override single parameters. Code asks
``rules["monitoring.warning_deviation"]`` and never spells a threshold itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from perfkit.io.load import InputError
from perfkit.rules import DEFAULT_PROFILE  # noqa: F401 (re-exported: perfkit.rules.rulebook.DEFAULT_PROFILE)

PROFILES_DIR = Path(__file__).parent / "profiles"
# 依据 of a rule (one of three): 文件 — the cited document contains this rule and value, article named;
# 平台惯例 — deployed platform practice, the platform named; 本局设定 — the bureau's own setting
BASES = ("文件", "平台惯例", "本局设定")
# the names of a rule's value parts as users read them in ``perfkit rules`` (the YAML keeps its own keys)
VALUE_WORDS = {"red": "红灯线", "yellow": "黄灯线", "blue": "蓝灯线", "key_projects": "重点项目全部纳入",
               "completion_below": "完成率低于", "red_light": "执行红灯纳入", "units": "单位数", "projects": "项目数",
               "mean_score": "复核平均分", "pass_rate": "合格率", "execution": "执行率", "no_warning": "非预警率",
               "findings": "审核问题", "action": "动作", "change": "调整比例", "redesign": "重新设计",
               "cancel": "取消", "light": "灯", "is_warning": "本身即预警", "indicators": "指标",
               "over_upper_light": "超上限的灯", "exact": "整格", "fragments": "片段", "patterns": "格式",
               "equivalents": "同义写法", "proportional": "按比例", "linear": "线性扣减", "all_or_nothing": "未达标不得分",
               "True": "是", "False": "否", "from_month": "自月份", "execution_share": "执行数差额占预算",
               "indicator_share": "完成值相对差额", "restated_at_least": "单位自述项数达到"}


@dataclass(frozen=True)
class Parameter:
    key: str
    description: str
    unit: str
    source: str
    values: dict[dt.date, Any]
    basis: str = "本局设定"  # 文件 / 平台惯例 / 本局设定

    def at(self, when: dt.date) -> Any:
        """The value in force on ``when`` (the latest value whose start date is not after it)."""
        dates = sorted(d for d in self.values if d <= when)
        if not dates:
            raise InputError(f"规则 {self.key} 在 {when} 尚未生效（最早自 {min(self.values)} 起）")
        return self.values[dates[-1]]


@dataclass
class Rulebook:
    """The active rules for one profile and one evaluation year."""

    profile: str
    title: str
    year: int
    parameters: dict[str, Parameter] = field(default_factory=dict)
    chain: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        try:
            return self.parameters[key].at(dt.date(self.year, 1, 1))
        except KeyError:
            raise InputError(f"规则手册「{self.profile}」中没有参数 {key}") from None

    def with_value(self, key: str, value: Any, source: str = "scenario") -> Rulebook:
        """A copy with one parameter replaced for this year (scenarios: 中 cut 10/20/30%, threshold 15/20/25)."""
        old = self.parameters[key]
        params = dict(self.parameters)
        params[key] = Parameter(key, old.description, old.unit, f"{source}（原：{old.source}）",
                                {**old.values, dt.date(self.year, 1, 1): value}, "本局设定")
        return Rulebook(self.profile, self.title, self.year, params, self.chain)

    def cite(self, key: str) -> str:
        """'财预〔2020〕10号…' — the source of a rule, for each score's 说明."""
        return self.parameters[key].source

    def basis(self, key: str) -> str:
        """文件 / 平台惯例 / 本局设定: what kind of authority a rule rests on."""
        return self.parameters[key].basis

    def fingerprint(self) -> str:
        """A short digest of every rule in force: two runs with the same fingerprint used the same rules
        (the archive records it beside the profile's name)."""
        import hashlib

        return hashlib.sha256(self.table().to_csv(index=False).encode("utf-8")).hexdigest()[:12]

    def table(self) -> pd.DataFrame:
        """The active rules as a table with their sources (what ``perfkit rules`` prints)."""
        when = dt.date(self.year, 1, 1)
        rows = []
        for key, p in sorted(self.parameters.items()):
            since = max(d for d in p.values if d <= when)
            rows.append({"规则编号": key, "值": _show(p.at(when)), "单位": p.unit, "说明": p.description,
                         "依据": p.basis, "来源": p.source, "生效日期": since.isoformat()})
        return pd.DataFrame(rows)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "；".join(f"{VALUE_WORDS.get(str(k), k)}:{_show(v)}" for k, v in value.items())
    if isinstance(value, (bool, str)) and str(value) in VALUE_WORDS:
        return VALUE_WORDS[str(value)]
    if isinstance(value, list):
        return "、".join(_show(v) for v in value) if len(value) <= 8 else "、".join(map(_show, value[:8])) + "…"
    return str(value)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if not p.name.endswith(".cases.yaml"))  # not the cases beside them


def _read_profile(ref: str | Path) -> tuple[dict, Path]:
    path = Path(ref)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PROFILES_DIR / f"{ref}.yaml"
    if not path.exists():
        raise InputError(f"找不到规则口径「{ref}」（可用：{'、'.join(available_profiles())}，或给出 .yaml 文件路径）")
    try:
        text = path.read_text(encoding="utf-8")
        try:  # libyaml's parser (≈10× faster: a profile is read at every opening of the explorer) …
            doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
        except yaml.YAMLError:  # … and the pure-Python one for a broken file: its message names the place
            doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name}：规则文件格式错误（{str(exc).splitlines()[0]}）") from exc
    if not isinstance(doc, dict) or "parameters" not in doc:
        raise InputError(f"{path.name}：规则文件应有 profile 与 parameters 两项")
    return doc, path


def _parse_parameter(key: str, spec: dict, file: str) -> Parameter:
    missing = [f for f in ("description", "unit", "source", "values") if f not in spec]
    if missing:
        raise InputError(f"{file}：参数 {key} 缺少 {'、'.join(missing)}（每个值都须有说明、单位与来源）")
    values = {}
    for since, value in spec["values"].items():
        date = since if isinstance(since, dt.date) else dt.date.fromisoformat(str(since))
        values[date] = value
    basis = spec.get("basis") or _inferred_basis(str(spec["source"]))
    if basis not in BASES:
        raise InputError(f"{file}：参数 {key} 的依据「{basis}」应为 {'、'.join(BASES)} 之一")
    return Parameter(key, spec["description"], spec["unit"], spec["source"], values, basis)


def _inferred_basis(source: str) -> str:
    """The basis of a rule in a profile written before bases were spelled out: a 文号 is a document, a
    platform named is practice, anything else the bureau's own setting."""
    if "design choice" in source or "本局" in source:
        return "本局设定"
    if "〔" in source and "号" in source:
        return "文件"
    return "平台惯例" if "平台" in source else "本局设定"


def load_rules(profile: str | Path = DEFAULT_PROFILE, year: int = 2022) -> Rulebook:
    """Load a profile by name (``mof2020``, ``exec20``, ``bands807060``, ``linear``) or from a YAML file."""
    doc, path = _read_profile(profile)
    chain = [doc.get("profile", path.stem)]
    params: dict[str, Parameter] = {}
    if doc.get("extends"):
        base = load_rules(doc["extends"], year)
        params.update(base.parameters)
        chain = [*base.chain, *chain]
    for key, spec in (doc.get("parameters") or {}).items():
        param = _parse_parameter(key, spec, path.name)
        if key in params:  # dated values accumulate along the chain; the newest profile's wording wins
            param = Parameter(key, param.description, param.unit, param.source, {**params[key].values, **param.values},
                              param.basis)
        params[key] = param
    return Rulebook(doc.get("profile", path.stem), doc.get("title", ""), year, params, tuple(chain))
