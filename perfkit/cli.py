"""The ``perfkit`` command. Each sub-command is one function of the Python API (``perfkit.api.COMMANDS``).

Users are finance analysts, not programmers: a failure prints one line saying what is wrong and exits
non-zero; it never prints a traceback (set PERFKIT_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from perfkit.io.base import InputError, printable
from perfkit.rules import DEFAULT_PROFILE


# ------------------------------------------------------------------------------ the workspace in force
def _settings(args: argparse.Namespace | None = None):
    """The district workspace in force (设置.yaml from the current folder upwards, ``$PERFKIT_WORKSPACE``,
    or ``--workspace``), or None. Flags given on the command line override its settings."""
    from perfkit.io.settings import active

    return active(getattr(args, "workspace", None) if args is not None else None)


def _need(value, what: str, flag: str):
    if value in (None, ""):
        raise InputError(f"没有{what}：用 {flag} 指定，或在区县工作区中运行（perfkit init 文件夹 创建工作区，"
                         f"在其 设置.yaml 中填写）")
    return value


def _fill(args: argparse.Namespace, *, data: bool = False, year: bool = False, month: bool = False,
          profile: bool = False, archive: str | None = None) -> None:
    """Fill the arguments left out from the workspace's settings (each only if not given)."""
    s = _settings(args)
    if s is None:
        if profile and getattr(args, "profile", None) is None:
            args.profile = DEFAULT_PROFILE
        return
    if data and not getattr(args, "data", None):
        args.data = str(s.data_path)
    if year and getattr(args, "year", None) is None:
        args.year = s.year
    if month and getattr(args, "month", None) is None:
        args.month = s.month
    if profile and getattr(args, "profile", None) is None:
        args.profile = str(s.path(s.profile)) if s.profile.endswith(".yaml") else s.profile
    if archive and getattr(args, archive, None) is None:
        setattr(args, archive, str(s.archive_path))


def _cmd_init(args: argparse.Namespace) -> int:
    from perfkit.io.settings import SETTINGS_FILE, init_workspace

    s = init_workspace(args.folder, district=args.district or "")
    print(f"已创建区县工作区 {s.folder}")
    print(f"  {SETTINGS_FILE}      设置：地区名称、发文机关、本地政策文件、联系人、报告年度、监控截至月份……（请先填写）")
    print(f"  {s.policy}  报告中可按本地情况改写的政策表述")
    print(f"  {s.inbox}/           各单位报来的自评表、目标表放这里")
    print(f"  {s.data_path.parent.name}/            导入后的数据（{s.data}）与年度档案（{s.archive}）")
    print(f"  {s.reports_path(0).parent.name}/         每年一个报告文件夹")
    print(f"下一步：cd {s.folder} && perfkit import-forms && perfkit validate && perfkit report")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from perfkit.demo import DEMO_DISTRICTS, generate_district, write_workspace

    district = DEMO_DISTRICTS[args.district]
    out = Path(args.out or ("data/demo" if district.key == "gaoxin" else f"data/demo-{district.key}"))
    years = generate_district(district, years=args.years, clean=args.clean, seed=args.seed, year=args.year,
                              n_projects=args.projects)
    paths = write_workspace(district, years, out)
    last = max(years)
    for y in sorted(years):
        if y != last:
            print(f"{y} 年度（同一区县的往年数据）→ {out / str(y) / 'demo.xlsx'}")
    demo = years[last]
    p = demo.tables["projects"]
    print(f"示例区县「{district.name}」{last} 年度：{len(demo.tables['units'])} 个预算单位，{len(p)} 个项目，"
          f"{len(demo.tables['self_eval'])} 条自评指标 → {paths['workbook']}（及 {paths['csv']}/）")
    print(f"工作区设置 {paths['settings']}（在该文件夹中运行 perfkit report 即生成报告）")
    if args.clean:
        print("无噪声版本：没有空白、无法读数或写法不一的单元格")
    else:
        print(f"含真实表格常见问题 {len(demo.noise)} 处（空白、无法读数、否定措辞、元/万元混用、未报送月份等），"
              f"清单见 {paths['noise']}；--clean 生成无噪声版本")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from perfkit.io.load import load

    _fill(args, data=True)
    ds = load(_need(args.data, "数据", "DATA（工作簿或文件夹）"))
    print(printable(f"数据：{ds.source}"))
    print("\n".join(printable(line) for line in ds.counts.to_string(index=False).splitlines()))
    for note in ds.notes:
        print(printable("说明：" + note))
    q = ds.quarantine
    if len(q):
        print(f"\n隔离 {len(q)} 处问题（行号与 Excel 中一致）：")
        shown = q.head(args.limit)
        for r in shown.itertuples(index=False):
            print(printable(f"  {r.文件}「{r.工作表}」第 {r.行} 行 {r.说明}"))
        if len(q) > len(shown):
            print(f"  …… 另有 {len(q) - len(shown)} 处，用 --out 导出全部")
    if args.out:
        from perfkit.io.outputs import refuse_public
        from perfkit.io.write import write_csv

        refuse_public(args.out, "validate")  # the quarantine list quotes rows, 涉密 ones included
        write_csv(q, Path(args.out))
        print(f"隔离清单已写入 {args.out}")
    return 0


_AS_COMMAND = False  # set by command(): this process is the perfkit command itself, not Python calling main()


def _cmd_score(args: argparse.Namespace) -> int:
    import warnings

    import pyarrow as pa

    from perfkit.api import ScoreNotice, score
    from perfkit.io.load import return_large_blocks

    # Arrow's own allocator keeps freed buffers for itself, where pandas and numpy cannot reuse them; with
    # the system allocator a province's peak memory is lower (measured: benchmarks/bench_command.py)
    pa.set_memory_pool(pa.system_memory_pool())
    return_large_blocks()  # and big temporaries go back to the system when freed (perfkit.io.load)

    _fill(args, data=True, year=True, month=True, profile=True, archive="archive")
    _need(args.data, "数据", "DATA（工作簿或文件夹）")
    _need(args.out, "输出文件夹", "--out")
    if _AS_COMMAND and args.engine == "pandas":  # a province-scale score restarts once with huge pages
        from perfkit.pipeline.two_cores import restart_with_huge_pages

        restart_with_huge_pages(args.data, args.jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScoreNotice)
        written = score(args.data, args.out, profile=args.profile, month=args.month, year=args.year,
                        engine=args.engine, scheduler=args.scheduler, output_format=args.format,
                        jobs=args.jobs)
    for w in caught:  # a CSV too long for Excel, tables not read: one line each, after the work is done
        if issubclass(w.category, ScoreNotice):
            print(printable(f"perfkit: 注意：{w.message}"), file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    for path in written.values():
        print(f"已写出 {path}")
    _record(args)
    return 0


def _cmd_partition(args: argparse.Namespace) -> int:
    from perfkit.io.outputs import check_output_folder, replaced_folder
    from perfkit.pipeline.distributed import partition_dataset

    out = Path(args.out).absolute()
    check_output_folder(out, "partition", lambda e: False, (Path(args.data),))
    with replaced_folder(out, "partition", inputs=(Path(args.data),)) as staging:
        partition_dataset(args.data, staging, args.parts)
    print(f"已写出 {out}（{args.parts} 个分区，按单位编码）")
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from perfkit.rules.rulebook import load_rules

    if args.check is not None:
        return _check_rules(args)
    _fill(args, year=True, profile=True)
    if args.year is None:
        import datetime as dt

        args.year = dt.date.today().year - 1
        print(f"（未指定年度：列出 {args.year} 年度适用的规则；用 --year 指定）")
    rules = load_rules(args.profile, args.year)
    print(f"规则口径：{rules.profile}（{rules.title}）  适用年度：{rules.year}  继承：{' → '.join(rules.chain)}")
    table = rules.table()
    for r in table.itertuples(index=False):
        print(f"\n{r.说明}\n    值：{r.值}  [{r.单位}]  自 {r.生效日期}\n    依据：{r.依据}（{r.来源}）\n    规则编号：{r.规则编号}")
    return 0


def _check_rules(args: argparse.Namespace) -> int:
    """``perfkit rules --check``: the cases beside the profile, each run as perfkit score runs it."""
    from perfkit.analyses.cases import cases_file, report_lines, run_cases

    if args.check:
        args.profile = args.check
    _fill(args, year=True, profile=True)
    path = Path(args.cases) if args.cases else cases_file(args.profile)
    results = run_cases(args.profile, path, args.year)
    print(printable(f"规则口径 {args.profile} 的案例（{path}）："))
    for line in report_lines(results):
        print(printable(line))
    cases = {r.case for r in results}
    failed = {r.case for r in results if not r.passed}
    print(f"共 {len(cases)} 个案例：{len(cases) - len(failed)} 个通过，{len(failed)} 个不通过")
    return 1 if failed else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from perfkit.reporting.run import report

    results = report(args.data, args.year, args.out, month=args.month, profile=args.profile,
                     district=args.district, notebooks=args.notebooks, archive=args.archive,
                     workspace=getattr(args, "workspace", None))
    for r in results:
        print(f"已生成 {r.html}\n已生成 {r.pdf}\n已生成 {r.docx}")
    _record(args)
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from perfkit.reporting.run import render

    r = render(args.notebook, args.out, workspace=args.workspace)
    print(f"已生成 {r.html}\n已生成 {r.pdf}\n已生成 {r.docx}")
    return 0


def _record(args: argparse.Namespace) -> None:
    """``--record``: store this run's year in the archive (replacing it if it is there)."""
    if getattr(args, "record", False):
        from perfkit.api import archive_add

        _fill(args, data=True, archive="archive")
        if not args.archive:
            from perfkit.io.archive import locate

            args.archive = str(locate(args.data))

        a = archive_add(args.data, year=args.year, archive=args.archive, month=args.month, profile=args.profile)
        print(f"已存入年度档案 {args.archive}（{a.rules.year} 年度）")


def _cmd_disclose(args: argparse.Namespace) -> int:
    from perfkit.reporting.disclosure import disclose

    _fill(args, data=True, archive="archive")
    data = _need(args.data, "数据", "DATA（工作簿或文件夹）")
    if not args.archive:
        from perfkit.io.archive import locate

        args.archive = str(locate(data))
    archive = args.archive if args.archive and Path(args.archive).is_file() else None
    d = disclose(data, args.out, year=args.year, no_classified=args.no_classified, archive=archive)
    print(f"公开文件：{d.units} 个单位、{d.projects} 个项目 → {d.folder / 'public'}")
    print(f"涉密项目 {d.withheld} 个未公开，统计见 {d.folder / 'internal'}（仅供财政部门，不公开）")
    if d.held:
        print(f"另有 {d.held} 个项目涉密标识不明或名称含涉密字样，暂不公开，请确认："
              f"{d.folder / 'internal' / '待确认项目_不公开.csv'}")
    for note in d.notes:  # notes may quote unit codes and headers from the data
        print(printable("说明：" + note))
    return 0


def _cmd_import_forms(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from perfkit.io.forms import import_forms, write_import

    s = _settings(args)
    folder = args.folder or (str(s.inbox_path) if s else None)
    args.out = args.out or (str(s.data_path) if s else None)
    result = import_forms(_need(folder, "表格文件夹", "FOLDER"),
                          progress=lambda files: tqdm(files, desc="导入绩效表", unit="个文件"))
    report_path = write_import(result, _need(args.out, "输出位置", "--out"))
    counts = result.report["结果"].value_counts()
    check = f"，{counts.get('注意', 0)} 处需核对" if counts.get("注意", 0) else ""
    copies = f"，{counts.get('副本', 0)} 个副本未重复导入" if counts.get("副本", 0) else ""
    print(printable(f"已导入 {counts.get('已导入', 0)} 个项目，未导入 {counts.get('未导入', 0)} 个文件或表{copies}{check}"
                    f" → {args.out}；逐个文件的结果见 {report_path}"))
    for r in result.report[result.report["结果"] == "未导入"].itertuples(index=False):
        print(printable(f"  未导入：{r.文件} {r.工作表} — {r.说明}"))
    notes = result.report[result.report["结果"] == "注意"].groupby("文件", sort=False).size()
    for file, n in notes.items():  # each note is in the report; here one line per file
        print(printable(f"  注意：{file} 有 {n} 处未导入或改写的内容，逐条见导入报告"))
    return 0


def _cmd_feedback(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from perfkit.api import feedback

    s = _settings(args)
    _fill(args, data=True, year=True, month=True, profile=True)
    district = args.district or (s.district if s else "")
    if not district:
        from perfkit.io.settings import NO_DISTRICT_NOTE

        print(f"perfkit: 注意：{NO_DISTRICT_NOTE}", file=sys.stderr)
    out = args.out or (str(s.reports_path(args.year) / "单位反馈通知") if s and args.year else None)
    f = feedback(_need(args.data, "数据", "--data"), _need(out, "输出文件夹", "--out"), year=args.year,
                 month=args.month, profile=args.profile, deadline=args.deadline, district=district,
                 progress=lambda units: tqdm(units, desc="写反馈通知", unit="个单位"),
                 issuer=s.issuer_name() if s else None, contact=s.letter_contact() if s else None)
    print(f"已为 {f.units} 个单位写出反馈通知（.docx）和明细（.xlsx）→ {f.folder}")
    if f.unassigned_findings:
        print(f"另有 {f.unassigned_findings} 条审核发现所属项目不在「项目」表中，见 {f.folder}/未能归属单位_审核发现.xlsx")
    return 0


def _cmd_archive(args: argparse.Namespace) -> int:
    import pandas as pd

    from perfkit.io import archive as arc

    _fill(args, profile=True, archive="archive")
    if not args.archive:  # no workspace: the archive beside the data (one place decides: archive.locate)
        args.archive = str(arc.locate(args.data))
    if args.action == "add":
        if not args.data:
            raise InputError("perfkit archive add 需要数据：perfkit archive add DATA --year Y")
        from perfkit.api import archive_add

        a = archive_add(args.data, year=args.year, archive=args.archive, month=args.month, profile=args.profile)
        print(f"已存入 {a.rules.year} 年度（规则口径 {a.rules.profile}）→ {args.archive}")
    elif args.action == "drop":
        if args.year is None:
            raise InputError("perfkit archive drop 需要 --year")
        print(f"已删除 {args.year} 年度" if arc.drop_year(args.archive, args.year) else f"档案中没有 {args.year} 年度")
    else:
        if not Path(args.archive).exists():
            raise InputError(f"年度档案 {args.archive} 不存在：先用 perfkit archive add DATA --year Y 存入年度"
                             "（或用 --archive 指定档案文件）")
        listed = arc.years(args.archive)
        if listed.empty:
            print(f"{args.archive}：尚无年度（perfkit archive add DATA --year Y）")
        for r in listed.itertuples(index=False):
            month = f"，监控截至 {int(r.as_of_month)} 月" if pd.notna(r.as_of_month) else ""
            print(f"{r.year} 年度  存入 {r.added_at:%Y-%m-%d %H:%M}  规则口径 {r.profile}（{r.profile_version}）{month}"
                  f"  来源 {r.source}")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from perfkit.io.templates import write_form_templates, write_template

    if args.forms:
        out = Path(args.out or "data/templates/绩效表_空白.xlsx")
        print(f"已写出空白绩效表（项目支出绩效自评表、项目支出绩效目标表）{write_form_templates(out)}；"
              "单位填好后放入收件文件夹，用 perfkit import-forms 读入")
        return 0
    print(f"已写出空白模板 {write_template(Path(args.out or 'data/templates/perfkit_模板.xlsx'))}")
    return 0


# argparse's own words, in the user's language (usage, options, errors)
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少一个值",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "需要参数 %s 之一",
    "ignored explicit argument %r": "多余的参数值 %r",
    "unexpected option string: %s": "意外的选项：%s",
}


def _chinese_argparse() -> None:
    """argparse takes its words from gettext (``argparse._``): here they are the Chinese ones."""
    import gettext

    argparse._ = lambda text: ARGPARSE_WORDS.get(text, gettext.gettext(text))  # type: ignore[attr-defined]


def _integer(text: str) -> int:
    return int(text)


_integer.__name__ = "整数"  # argparse names the type in its message: “'x' 不是有效的整数”

WS_HELP = "区县工作区文件夹（含 设置.yaml）；默认在当前文件夹及其上级中查找，或取环境变量 PERFKIT_WORKSPACE"
DATA_HELP = ".xlsx 工作簿，或含 <表名>.csv/.parquet 的文件夹；不给则取工作区设置中的「数据」"
YEAR_HELP = "年度，须为数据「项目」表中的年度；不给则取工作区设置的「报告年度」或数据中唯一的年度"
MONTH_HELP = "监控截至月份（1–12）；不给则取工作区设置的「监控截至月份」，再没有则取执行监控中最新的月份"
PROFILE_HELP = "规则口径：mof2020 / exec20 / bands807060 / linear，或 .yaml 规则文件；不给则取工作区设置（默认 mof2020）"
REPORT_FILES = """写出（每年一个文件夹，不给 --out 则为工作区「报告目录」下的 <年度>/）：
  annual_report.html / .pdf / .docx        年度预算绩效管理工作情况报告（正文，落款取工作区设置）
  technical_annex.html / .pdf / .docx      技术附件（口径说明）：数据来源与校验、规则与依据、全部单位排名、待核实项目
  budget_allocation.html / .pdf / .docx    下年度预算安排与绩效评价结果挂钩分析
  <下年度>年度预算安排建议_内部资料_不得公开.xlsx   逐项目、逐单位的预算安排建议（含涉密项目，内部资料）
  单位反馈通知/                            每个单位的绩效评价结果反馈及整改通知（.docx）与明细（.xlsx）
  *.ipynb                                  执行过的笔记本（审计用）"""


def build_parser() -> argparse.ArgumentParser:
    import perfkit

    _chinese_argparse()
    parser = argparse.ArgumentParser(prog="perfkit", description="预算绩效管理分析工作台", add_help=False)
    parser.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
    parser.add_argument("--version", action="version", version=f"perfkit {perfkit.__version__}",
                        help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", required=True, title="命令（perfkit 命令 -h 查看该命令的选项）",
                                metavar="命令")

    def command(name: str, help: str, **kwargs) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help, description=kwargs.pop("description", help), add_help=False, **kwargs)
        c.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
        return c

    p = command("init", "创建区县工作区：设置.yaml、政策表述.yaml、表格收件箱 inbox/、data/、reports/")
    p.add_argument("folder", help="工作区文件夹（不存在则创建；已有 设置.yaml 时不覆盖）")
    p.add_argument("--district", default=None, help="地区名称，写入 设置.yaml（也可之后在文件中填写）")
    p.set_defaults(func=_cmd_init)

    p = command("demo", "生成示例区县工作区（设置、政策表述、工作簿 + CSV 文件夹）")
    p.add_argument("--district", choices=["gaoxin", "qingxi"], default="gaoxin",
                   help="哪个示例区县：gaoxin（高新区（新市区），132 个单位，2022 年，截至 5 月）或 "
                        "qingxi（青溪区，虚构，60 个单位，2023 年，截至 9 月）")
    p.add_argument("--out", default=None, help="工作区文件夹（默认 data/demo，第二个示例为 data/demo-qingxi）")
    p.add_argument("--seed", type=_integer, default=None, help="随机种子（默认取示例区县自己的）")
    p.add_argument("--year", type=_integer, default=None, help="最后一个年度（默认取示例区县自己的）")
    p.add_argument("--projects", type=_integer, default=None, help="项目数（默认随示例区县而定）")
    p.add_argument("--years", type=_integer, default=1,
                   help="连续年度数：大于 1 时另写出往年数据（<out>/<年度>/），最后一年的工作簿含「编码变更」表")
    p.add_argument("--clean", action="store_true",
                   help="不加真实表格的常见问题（空白、无法读数、否定措辞、元/万元混用、未报送月份等）")
    p.set_defaults(func=_cmd_demo)

    p = command("validate", "检查数据：载入多少、隔离多少、为什么")
    p.add_argument("data", nargs="?", help=DATA_HELP)
    p.add_argument("--limit", type=_integer, default=30, help="最多显示多少处问题（默认 30）")
    p.add_argument("--out", help="把隔离清单写成 CSV")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_validate)

    p = command("score", "复算自评得分并审核，写出 项目得分.csv、指标得分.csv、审核发现.csv")
    p.add_argument("data", nargs="?", help=DATA_HELP)
    p.add_argument("--out", default=None, help="输出文件夹（必填）")
    p.add_argument("--profile", default=None, help=PROFILE_HELP)
    p.add_argument("--month", type=_integer, default=None,
                   help="监控截至月份：给出（或工作区设置中有）则只读入该月的监控行并输出监控预警；都没有则不读执行监控、指标监控")
    p.add_argument("--year", type=_integer, default=None, help=YEAR_HELP)
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="计算引擎：pandas（默认，本机）；dask：按单位分区在 dask.distributed 集群上计算（需 pip install -e '.[dask]'）")
    p.add_argument("--scheduler", default=None, help="dask 调度器地址，如 tcp://10.0.0.5:8786；不给则用本机 LocalCluster")
    p.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="输出格式：csv（默认，UTF-8 带 BOM，Excel/WPS 直接打开）或 parquet（全省规模，超过 Excel "
                        "1,048,576 行时用；分区数据集只能 parquet）")
    p.add_argument("--jobs", type=_integer, default=None,
                   help="使用的处理器核数（默认：数据文件夹超过 32 MB 且空闲内存足够时用 2 核，否则 1 核）；结果与 1 核逐字节相同")
    p.add_argument("--archive", default=None, help="年度档案文件（与 --record 一起用；默认取工作区设置）")
    p.add_argument("--record", action="store_true", help="计分后把本年度数据与结果存入年度档案")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_score)

    p = command("partition", "把 Parquet 格式的全省数据按单位分成若干份，供 dask 各 worker 自行读取")
    p.add_argument("data", help="Parquet 合同表文件夹（项目.parquet、绩效自评.parquet …）")
    p.add_argument("--out", required=True, help="分区数据集文件夹（须放在所有 worker 都能读到的存储上）")
    p.add_argument("--parts", type=_integer, default=8, help="分区数，一般取 worker 数的 2–4 倍（默认 8）")
    p.set_defaults(func=_cmd_partition)

    p = command("rules", "列出当前规则及其来源；--check 按规则旁的案例自查口径")
    p.add_argument("--profile", default=None, help=PROFILE_HELP)
    p.add_argument("--check", nargs="?", const="", default=None, metavar="规则口径",
                   help="核对规则口径旁的案例（<口径文件名>.cases.yaml）：逐条按 perfkit score 的程序计算，打印通过/不通过；"
                        "不给口径则取 --profile 或工作区设置")
    p.add_argument("--cases", default=None, metavar="案例文件", help="与 --check 一起用：案例文件不在口径文件旁时指定")
    p.add_argument("--year", type=_integer, default=None, help="规则适用的年度（默认取工作区设置的「报告年度」）")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_rules)

    p = command("report", "生成年度报告、技术附件、预算安排分析（HTML + PDF + Word）、预算安排建议（Excel）与单位反馈通知",
                description="生成年度报告、技术附件、预算安排分析与单位反馈通知。\n\n" + REPORT_FILES,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help=DATA_HELP)
    p.add_argument("--year", type=_integer, default=None, help=YEAR_HELP)
    p.add_argument("--out", default=None, help="输出文件夹；不给则为工作区「报告目录」下的 <年度>/")
    p.add_argument("--month", type=_integer, default=None, help=MONTH_HELP + "；数据没有执行监控时报告说明未提供监控数据")
    p.add_argument("--profile", default=None, help=PROFILE_HELP)
    p.add_argument("--district", default=None, help="地区名称（报告标题与落款）；不给则取工作区设置的「地区名称」")
    p.add_argument("--notebooks", default=None, help="报告笔记本所在文件夹（默认随 perfkit 安装的 notebooks/）")
    p.add_argument("--archive", default=None,
                   help="年度档案（存在时与上年比较、按多年结果升级处理；内部资料，不得公开）；不给则取工作区设置")
    p.add_argument("--record", action="store_true", help="报告完成后把本年度数据与结果存入年度档案")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_report)

    p = command("render", "把用 papermill 单独执行过的报告笔记本导出为与 perfkit report 相同的 HTML、PDF 和 Word",
                description="把用 papermill 单独执行过的报告笔记本（.ipynb）导出为与 perfkit report 相同的 HTML、A4 PDF "
                            "和 Word 文件，文件名同笔记本（annual_report.ipynb → annual_report.html/.pdf/.docx）。\n"
                            "例：cd notebooks && papermill annual_report.ipynb ../reports/annual_report.ipynb "
                            "-p workspace ~/我的区县 && perfkit render ../reports/annual_report.ipynb",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebook", help="执行过的笔记本（papermill 写出的 .ipynb）")
    p.add_argument("--out", default=None, help="输出文件夹（默认为笔记本所在文件夹）")
    p.add_argument("--workspace", help=WS_HELP + "（Word 文件的作者取其发文机关）")
    p.set_defaults(func=_cmd_render)

    p = command("disclose", "按单位生成随决算公开的项目支出绩效自评表（xlsx + html，不含涉密项目）")
    p.add_argument("data", nargs="?", help=DATA_HELP)
    p.add_argument("--out", required=True, help="公开文件夹：public/ 可公开，internal/ 仅供财政部门")
    p.add_argument("--year", type=_integer, default=None, help="公开的年度（数据含多个年度时必须给出）")
    p.add_argument("--no-classified", "--无涉密项目", dest="no_classified", action="store_true",
                   help="确认本数据没有涉密项目。数据中没有涉密列（涉密/是否涉密/涉密项目/密级）时，不加此项则拒绝公开")
    p.add_argument("--archive", default=None,
                   help="年度档案（存在时，以前任一年度标为涉密的项目及其变更后的编码同样不公开）；不给则取工作区设置，"
                        "不在工作区时为数据所在文件夹中的 perfkit.duckdb")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_disclose)

    p = command("import-forms", "批量读取各地印发格式的绩效表（自评表、目标表、监控表；.xlsx/.xls/.docx）")
    p.add_argument("folder", nargs="?", help="表格所在文件夹；不给则取工作区的表格收件箱（inbox/）")
    p.add_argument("--out", default=None, help="输出：.xlsx 工作簿或文件夹；不给则取工作区设置中的「数据」")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_import_forms)

    p = command("feedback", "给每个单位写绩效评价结果反馈及整改通知（Word）与明细（Excel）")
    p.add_argument("--data", default=None, help=DATA_HELP)
    p.add_argument("--year", type=_integer, default=None, help=YEAR_HELP)
    p.add_argument("--out", default=None, help="输出文件夹；不给则为工作区报告目录下的 <年度>/单位反馈通知")
    p.add_argument("--month", type=_integer, default=None, help=MONTH_HELP + "（预警项目）")
    p.add_argument("--deadline", default=None, help="整改期限，如 2023年3月31日（默认次年3月31日）")
    p.add_argument("--profile", default=None, help=PROFILE_HELP)
    p.add_argument("--district", default=None, help="地区名称（落款）；不给则取工作区设置的「地区名称」")
    p.add_argument("--workspace", help=WS_HELP)
    p.set_defaults(func=_cmd_feedback)

    p = command("archive", "年度档案（DuckDB 文件）：存入、列出、删除某年度的数据与结果")
    p.add_argument("action", choices=["add", "list", "drop"], help="add 存入（同年度则替换）、list 列出、drop 删除")
    p.add_argument("data", nargs="?", help="add 时：该年度的工作簿或文件夹")
    p.add_argument("--year", type=_integer, default=None, help="年度（add 时须为数据中的年度；drop 时必填）")
    p.add_argument("--archive", default=None,
                   help="档案文件（内部资料，含涉密项目，不得公开）；不给则取工作区设置的「年度档案」，不在工作区时为数据所在文件夹中的 perfkit.duckdb")
    p.add_argument("--month", type=_integer, default=None, help="监控截至月份；不给则取执行监控中最新的月份")
    p.add_argument("--profile", default=None, help=PROFILE_HELP)
    p.add_argument("--workspace", help=WS_HELP)
    p.add_argument("--db", dest="archive", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # the old name
    p.set_defaults(func=_cmd_archive)

    p = command("template", "写出空白 Excel 填报模板")
    p.add_argument("--out", default=None, help="输出文件（默认 data/templates/perfkit_模板.xlsx；加 --forms 时为 "
                                               "data/templates/绩效表_空白.xlsx）")
    p.add_argument("--forms", action="store_true",
                   help="写出单位填报用的空白绩效表（全国通用格式的项目支出绩效自评表、绩效目标表），import-forms 可原样读回")
    p.set_defaults(func=_cmd_template)
    for c in sub.choices.values():  # value names in the help in Chinese too: --year 年度, not --year YEAR
        for action in c._actions:
            if action.metavar is None and action.dest in METAVARS and action.nargs != 0:
                action.metavar = METAVARS[action.dest]
    return parser


METAVARS = {"data": "数据", "year": "年度", "month": "月份", "out": "输出", "profile": "规则口径", "district": "地区名称",
            "archive": "档案", "db": "档案", "workspace": "工作区", "folder": "文件夹", "notebooks": "文件夹",
            "seed": "种子", "projects": "项目数", "years": "年数", "limit": "条数", "scheduler": "地址",
            "jobs": "核数", "parts": "分区数", "deadline": "日期"}


def _skip_iri_grammar() -> None:
    """Keep jsonschema from importing rfc3987-syntax in this process: ≈ 1 s of building ~35 Earley
    parsers (python-jsonschema/jsonschema#1428), paid by every command that loads nbformat (``report``)
    for an ``iri`` format check that no notebook schema uses. A ``None`` entry makes the import fail, and
    jsonschema then leaves that one format unchecked. Only the command's own process is touched, not
    programs that import perfkit."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def command() -> int:
    """The ``perfkit`` command (and ``python -m perfkit``): :func:`main` on the command line's arguments,
    allowed to restart its own process where that makes it faster
    (:func:`perfkit.pipeline.two_cores.restart_with_huge_pages`)."""
    global _AS_COMMAND
    _AS_COMMAND = True
    return main()


def main(argv: list[str] | None = None) -> int:
    _skip_iri_grammar()
    parser = build_parser()
    args = parser.parse_args(argv)
    before = os.environ.get("PERFKIT_WORKSPACE")
    if getattr(args, "workspace", None):  # what the command starts (report kernels) finds the same workspace
        os.environ["PERFKIT_WORKSPACE"] = str(Path(args.workspace).expanduser().absolute())
    try:
        return _run(args)
    finally:  # main() called from Python leaves the environment as it found it
        if before is None:
            os.environ.pop("PERFKIT_WORKSPACE", None)
        else:
            os.environ["PERFKIT_WORKSPACE"] = before


def _run(args: argparse.Namespace) -> int:
    """The command, with its failures as one line (never a traceback for users)."""
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(printable(f"perfkit: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("perfkit: 已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback for users
        if os.environ.get("PERFKIT_DEBUG"):
            raise
        from perfkit.io.outputs import os_error_in, os_error_text

        os_exc = os_error_in(exc)
        if os_exc is not None:  # a full disk, a missing permission …: the system's reason, in Chinese
            print(printable(f"perfkit: {os_error_text(os_exc)}"), file=sys.stderr)
            return 2
        print(printable(f"perfkit: 内部错误（{type(exc).__name__}: {exc}）。设置 PERFKIT_DEBUG=1 可查看详情。"),
              file=sys.stderr)
        return 1
