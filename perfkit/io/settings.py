"""A district's workspace: one folder holding its settings file (设置.yaml), its forms inbox, data,
reports and yearly archive.

Everything that names a district — its name, issuing organ, local policy documents, contact, the year
and month reported on, the spot-check capacity, the rule profile, the editable policy passages — is read
from the workspace's settings, never from the package: the package's own texts are neutral defaults.
Every command run inside a workspace (or below it) finds it without flags; a command-line flag still
overrides the setting it names. ``PERFKIT_WORKSPACE`` points at a workspace from anywhere (cron jobs,
notebooks).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from perfkit.io.base import InputError

SETTINGS_FILE = "设置.yaml"
POLICY_FILE = "政策表述.yaml"
WORKSPACE_ENV = "PERFKIT_WORKSPACE"
# where no workspace and no --district name the district: a visible blank for the bureau to fill, never
# another district's name
DISTRICT_PLACEHOLDER = "（地区名称）"
NO_DISTRICT_NOTE = ("未设置地区名称：文件中以「（地区名称）」代替（在工作区 设置.yaml 中填写「地区名称」，"
                    "或用 --district 指定；perfkit init 创建工作区）")
PACKAGE_POLICY = Path(__file__).resolve().parents[1] / "reporting" / "text" / "policy.yaml"

# the settings file's keys (Chinese, as the bureau reads them) → attribute names
KEYS = {"地区名称": "district", "发文机关": "issuer", "本地政策文件": "documents", "联系人": "contact",
        "联系电话": "phone", "抄送": "copy_to", "报告年度": "year", "监控截至月份": "month",
        "现场抽查能力": "capacity", "规则口径": "profile", "数据": "data", "表格收件箱": "inbox",
        "报告目录": "reports", "年度档案": "archive", "政策表述": "policy", "成文日期": "date"}


@dataclass
class Settings:
    """A workspace's settings, paths resolved against the workspace folder."""

    folder: Path
    district: str = ""
    issuer: str = ""
    documents: list[dict[str, str]] = field(default_factory=list)
    contact: str = ""
    phone: str = ""
    copy_to: list[str] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    capacity: dict[str, int] | None = None
    profile: str = "mof2020"
    data: str = "data/数据.xlsx"
    inbox: str = "inbox"
    reports: str = "reports/{年度}"
    archive: str = "data/perfkit.duckdb"
    policy: str = POLICY_FILE
    date: str | None = None

    def path(self, value: str | Path) -> Path:
        """A path of the settings, relative to the workspace folder."""
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else self.folder / p

    @property
    def data_path(self) -> Path:
        return self.path(self.data)

    @property
    def archive_path(self) -> Path:
        return self.path(self.archive)

    @property
    def inbox_path(self) -> Path:
        return self.path(self.inbox)

    @property
    def policy_path(self) -> Path | None:
        p = self.path(self.policy) if self.policy else None
        return p if p is not None and p.exists() else None

    def reports_path(self, year: int) -> Path:
        """The year's report folder (``reports/{年度}``): each year its own, never the demo's."""
        return self.path(str(self.reports).replace("{年度}", str(year)).replace("{year}", str(year)))

    def issuer_name(self) -> str:
        return self.issuer or (f"{self.district}财政局" if self.district else "")

    def document_list(self) -> str:
        """《名称》（文号）、《名称》 — the local policy documents as the preamble cites them."""
        out = []
        for d in self.documents:
            name, number = str(d.get("名称", "")).strip(), str(d.get("文号", "") or "").strip()
            if name:
                out.append(f"《{name.strip('《》')}》" + (f"（{number}）" if number else ""))
        return "、".join(out)

    def letter_contact(self) -> dict[str, Any]:
        """联系人、联系电话、抄送 as the letters take them: the district's own, empty where not set (a
        letter then leaves the line out; nothing is invented)."""
        return {"contact": self.contact, "phone": self.phone, "copy_to": list(self.copy_to)}

    def contact_line(self) -> str:
        """（联系人：张三，联系电话：0000-0000000） or empty."""
        parts = [f"联系人：{self.contact}" if self.contact else "", f"联系电话：{self.phone}" if self.phone else ""]
        text = "，".join(p for p in parts if p)
        return f"（{text}）" if text else ""


def _as_int(value: Any, key: str, file: Path, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        n = int(str(value).strip().removesuffix("年").removesuffix("月"))
    except ValueError:
        raise InputError(f"{file}：「{key}」应为整数，现为「{value}」") from None
    if not low <= n <= high:
        raise InputError(f"{file}：「{key}」应在 {low}–{high} 之间，现为 {n}")
    return n


def read_settings(folder: str | Path) -> Settings:
    """The settings of the workspace ``folder`` (or of the settings file itself)."""
    path = Path(folder)
    file = path if path.is_file() else path / SETTINGS_FILE
    if not file.exists():
        raise InputError(f"找不到工作区设置 {file}（用 perfkit init 文件夹 创建）")
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise InputError(f"{file}{where}：不是有效的 YAML（{getattr(exc, 'problem', exc)}）") from None
    if not isinstance(doc, dict):
        raise InputError(f"{file}：应为「键: 值」的设置")
    unknown = [k for k in doc if k not in KEYS]
    if unknown:
        raise InputError(f"{file}：不认识的设置项「{'」「'.join(map(str, unknown))}」（可用：{'、'.join(KEYS)}）")
    values: dict[str, Any] = {KEYS[k]: v for k, v in doc.items() if v is not None}
    s = Settings(folder=file.parent.absolute(), **{k: v for k, v in values.items()
                                                   if k not in ("year", "month", "capacity", "documents", "copy_to")})
    s.year = _as_int(doc.get("报告年度"), "报告年度", file, 2000, 2100)
    s.month = _as_int(doc.get("监控截至月份"), "监控截至月份", file, 1, 12)
    docs = doc.get("本地政策文件") or []
    if not isinstance(docs, list) or not all(isinstance(d, dict | str) for d in docs):
        raise InputError(f"{file}：「本地政策文件」应为列表，每项写 名称 与 文号")
    s.documents = [d if isinstance(d, dict) else {"名称": d} for d in docs]
    copy_to = doc.get("抄送") or []
    s.copy_to = [copy_to] if isinstance(copy_to, str) else [str(c) for c in copy_to]
    cap = doc.get("现场抽查能力")
    if cap:
        if not isinstance(cap, dict):
            raise InputError(f"{file}：「现场抽查能力」应写 单位数 与 项目数")
        s.capacity = {"units": _as_int(cap.get("单位数"), "现场抽查能力/单位数", file, 0, 100_000) or 0,
                      "projects": _as_int(cap.get("项目数"), "现场抽查能力/项目数", file, 0, 1_000_000) or 0}
    for key in ("district", "issuer", "contact", "phone", "profile", "data", "inbox", "reports", "archive", "policy"):
        setattr(s, key, "" if getattr(s, key) is None else str(getattr(s, key)))
    if s.date is not None:
        s.date = str(s.date)
    return s


def find_workspace(start: str | Path | None = None) -> Path | None:
    """The workspace in force: ``start`` (a folder or settings file), else ``$PERFKIT_WORKSPACE``, else
    the first folder from the current one upwards that holds a 设置.yaml; None when there is none."""
    if start is not None:
        return Path(start).absolute()
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser().absolute()
    here = Path.cwd().absolute()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return None


def active(workspace: str | Path | None = None, needed: bool = True) -> Settings | None:
    """The settings of the workspace in force (see :func:`find_workspace`), or None outside any.
    ``needed=False``: a caller that was given everything it needs reads a workspace that is not there
    (a notebook's default, the demo not generated yet) as none, instead of failing."""
    folder = find_workspace(workspace)
    if folder is None:
        return None
    if not needed and not (folder / SETTINGS_FILE).is_file() and not folder.is_file():
        return None
    return read_settings(folder)


SETTINGS_TEMPLATE = """\
# perfkit 工作区设置（{district_hint}）。在本文件夹及其子文件夹中运行 perfkit 的命令时自动读取本文件；
# 命令行参数（--year、--month、--district、--archive 等）优先于这里的设置。路径相对本文件夹。

地区名称: {district}          # 报告、附件、通知的标题与落款都用它
发文机关: {issuer}     # 落款；留空则为「地区名称」+财政局
本地政策文件:                 # 报告开头引用的文件（名称、文号），按本地实际填写
{documents}
联系人: {contact}
联系电话: {phone}
抄送: {copy_to}                      # 如 [区人大常委会办公室, 区审计局]；留空则通知不写抄送
报告年度: {year}                # 留空则取数据「项目」表中的年度（数据含多个年度时必须填写或用 --year）
监控截至月份: {month}             # 留空则取「执行监控」中最新的月份；没有执行监控数据时报告说明未提供
现场抽查能力:                 # 一轮现场抽查最多走访的单位数与项目数
  单位数: {units}
  项目数: {projects}
规则口径: {profile}             # mof2020 / exec20 / bands807060 / linear，或本文件夹中的 .yaml 规则文件
数据: {data}      # import-forms 的输出，也是 validate、score、report 默认读取的数据
表格收件箱: {inbox}             # 各单位报来的自评表、目标表放这里，perfkit import-forms 读取
报告目录: {reports}      # 每年一个文件夹
年度档案: {archive}   # 内部资料（含涉密项目），不得公开
政策表述: {policy}     # 报告中可按本地情况改写的段落
成文日期:                     # 报告落款日期，如 2023-01-08；留空则按生成日期（不在次年时留空待签）
"""


def _yaml_scalar(value: object) -> str:
    if value in (None, ""):
        return ""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return text.strip().removesuffix("...").strip()  # a plain scalar ends its one-value document with "..."


def settings_text(district: str = "", issuer: str = "", documents: list[dict[str, str]] | None = None,
                  contact: str = "", phone: str = "", year: int | None = None, month: int | None = None,
                  copy_to: list[str] | None = None, units: int = 8, projects: int = 21, profile: str = "mof2020", data: str = "data/数据.xlsx",
                  inbox: str = "inbox", reports: str = "reports/{年度}", archive: str = "data/perfkit.duckdb",
                  policy: str = POLICY_FILE) -> str:
    """The text of a settings file, commented for the bureau (what :func:`init_workspace` writes)."""
    docs = documents or [{"名称": "中共中央 国务院关于全面实施预算绩效管理的意见", "文号": "中发〔2018〕34号"}]
    doc_lines = "\n".join(f"  - 名称: {_yaml_scalar(d.get('名称', ''))}\n    文号: {_yaml_scalar(d.get('文号', ''))}"
                          for d in docs)
    return SETTINGS_TEMPLATE.format(
        district_hint=district or "请先填写地区名称", district=_yaml_scalar(district), issuer=_yaml_scalar(issuer),
        documents=doc_lines, contact=_yaml_scalar(contact), phone=_yaml_scalar(phone),
        copy_to=_yaml_scalar(list(copy_to or [])), year=_yaml_scalar(year),
        month=_yaml_scalar(month), units=units, projects=projects, profile=profile, data=_yaml_scalar(data),
        inbox=_yaml_scalar(inbox), reports=_yaml_scalar(reports), archive=_yaml_scalar(archive),
        policy=_yaml_scalar(policy))


def init_workspace(folder: str | Path, district: str = "", policy_text: str | None = None,
                   force: bool = False, **settings: Any) -> Settings:
    """``perfkit init``: create a workspace — 设置.yaml, 政策表述.yaml (the package's neutral wording, to
    rewrite), ``inbox/``, ``data/``, ``reports/``. An existing settings file is never overwritten
    unless ``force``."""
    folder = Path(folder).absolute()
    file = folder / SETTINGS_FILE
    if file.exists() and not force:
        raise InputError(f"{file} 已存在：这里已是工作区（要重写设置请先移走该文件）")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} 不是文件夹")
    folder.mkdir(parents=True, exist_ok=True)
    file.write_text(settings_text(district=district, **settings), encoding="utf-8")
    policy = folder / settings.get("policy", POLICY_FILE)
    if not policy.exists():
        if policy_text is not None:
            policy.write_text(policy_text, encoding="utf-8")
        else:
            shutil.copyfile(PACKAGE_POLICY, policy)
    s = read_settings(folder)
    for sub in (s.inbox_path, s.data_path.parent, s.reports_path(0).parent, s.archive_path.parent):
        sub.mkdir(parents=True, exist_ok=True)
    return s


def notebook_inputs(workspace: str | Path | None, data: str | Path | None = None, month: int | None = None,
                    profile: str | None = None, archive: str | Path | None = None,
                    need_archive: bool = False) -> tuple[Path | None, int, str | None, Path | None]:
    """The explorer's and the archive notebook's inputs: each one given, else the workspace's setting
    (data, as-of month, rule profile, archive); without a workspace the month is 12, the profile and the
    archive None (the explorer's defaults: the package's profile, the archive beside the data).
    ``need_archive``: a missing archive file is an error that says where it was looked for."""
    s = active(workspace, needed=not (data or archive))
    data = Path(data) if data else (s.data_path if s else None)
    archive = Path(archive) if archive else (s.archive_path if s else None)
    if need_archive and (archive is None or not archive.exists()):
        where = f"（查找位置：{archive}）" if archive is not None else ""
        raise InputError(f"没有年度档案{where}：先用 perfkit archive add 存入年度，或在 archive 参数中给出档案文件")
    if profile is None and s is not None:
        profile = str(s.path(s.profile)) if s.profile.endswith(".yaml") else s.profile
    return data, int(month or (s.month if s and s.month else 12)), profile, archive
