"""The ``perfkit`` command. Each sub-command is one call of the Python API of the same name.

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


def _cmd_demo(args: argparse.Namespace) -> int:
    from perfkit.demo import generate, generate_years, write_demo

    if args.years > 1:  # earlier years of the same district beside it, in <out>/<year>/
        years = generate_years(seed=args.seed, year=args.year, years=args.years, clean=args.clean,
                               n_projects=args.projects)
        for y, earlier in years.items():
            if y != args.year:
                write_demo(earlier, Path(args.out) / str(y))
                print(f"{y} 年度（同一区县的往年数据）→ {Path(args.out) / str(y) / 'demo.xlsx'}")
        demo = years[args.year]
    else:
        demo = generate(seed=args.seed, year=args.year, n_projects=args.projects, clean=args.clean)
    paths = write_demo(demo, Path(args.out))
    p = demo.tables["projects"]
    print(f"示例区县：{len(demo.tables['units'])} 个预算单位，{len(p)} 个项目，"
          f"{len(demo.tables['self_eval'])} 条自评指标 → {paths['workbook']}（及 {paths['csv']}/）")
    if args.clean:
        print("无噪声版本：没有空白、无法读数或写法不一的单元格")
    else:
        print(f"含真实表格常见问题 {len(demo.noise)} 处（空白、无法读数、否定措辞、元/万元混用、未报送月份等），"
              f"清单见 {paths['noise']}；--clean 生成无噪声版本")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from perfkit.io.load import load

    ds = load(args.data)
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


def _cmd_score(args: argparse.Namespace) -> int:
    import warnings

    import pyarrow as pa

    from perfkit.api import ScoreNotice, score

    # Arrow's own allocator keeps freed buffers for itself, where pandas and numpy cannot reuse them; with
    # the system allocator a province's peak memory is lower (measured: benchmarks/bench_command.py)
    pa.set_memory_pool(pa.system_memory_pool())

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
    with replaced_folder(out, "partition", inputs=(Path(args.data),)) as stage:
        partition_dataset(args.data, stage, args.parts)
    print(f"已写出 {out}（{args.parts} 个分区，按单位编码）")
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from perfkit.rules.rulebook import load_rules

    rules = load_rules(args.profile, args.year)
    print(f"规则口径：{rules.profile}（{rules.title}）  适用年度：{rules.year}  继承：{' → '.join(rules.chain)}")
    table = rules.table()
    for r in table.itertuples(index=False):
        print(f"\n{r.说明}\n    值：{r.值}  [{r.单位}]  自 {r.生效日期}\n    依据：{r.依据}（{r.来源}）\n    规则编号：{r.规则编号}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from perfkit.reporting.run import report

    results = report(args.data, args.year, args.out, month=args.month, profile=args.profile,
                     district=args.district, notebooks=args.notebooks, archive=args.archive)
    for r in results:
        print(f"已生成 {r.html}\n已生成 {r.pdf}\n已生成 {r.docx}")
    _record(args)
    return 0


def _record(args: argparse.Namespace) -> None:
    """``--record``: store this run's year in the archive (replacing it if it is there)."""
    if getattr(args, "record", False):
        from perfkit.api import archive_add

        a = archive_add(args.data, year=args.year, archive=args.archive, month=args.month, profile=args.profile)
        print(f"已存入年度档案 {args.archive}（{a.rules.year} 年度）")


def _cmd_disclose(args: argparse.Namespace) -> int:
    from perfkit.reporting.disclosure import disclose

    archive = args.archive if args.archive and Path(args.archive).is_file() else None
    d = disclose(args.data, args.out, year=args.year, no_classified=args.no_classified, archive=archive)
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

    result = import_forms(args.folder, progress=lambda files: tqdm(files, desc="导入绩效表", unit="个文件"))
    report_path = write_import(result, args.out)
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

    f = feedback(args.data, args.out, year=args.year, month=args.month, profile=args.profile,
                 deadline=args.deadline, district=args.district,
                 progress=lambda units: tqdm(units, desc="写反馈通知", unit="个单位"))
    print(f"已为 {f.units} 个单位写出反馈通知（.docx）和明细（.xlsx）→ {f.folder}")
    if f.unassigned_findings:
        print(f"另有 {f.unassigned_findings} 条审核发现所属项目不在「项目」表中，见 {f.folder}/未能归属单位_审核发现.xlsx")
    return 0


def _cmd_archive(args: argparse.Namespace) -> int:
    import pandas as pd

    from perfkit.io import archive as arc

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfkit", description="预算绩效管理分析工作台")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="生成示例区县数据（工作簿 + CSV 文件夹）")
    p.add_argument("--out", default="data/demo")
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--year", type=int, default=2022)
    p.add_argument("--projects", type=int, default=None, help="项目数（默认随种子在 1500–2500 之间）")
    p.add_argument("--years", type=int, default=1,
                   help="连续年度数：大于 1 时另写出往年数据（<out>/<年度>/），最后一年的工作簿含「编码变更」表")
    p.add_argument("--clean", action="store_true",
                   help="不加真实表格的常见问题（空白、无法读数、否定措辞、元/万元混用、未报送月份等）")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("validate", help="检查数据：载入多少、隔离多少、为什么")
    p.add_argument("data", help=".xlsx 工作簿，或含 <表名>.csv/.parquet 的文件夹")
    p.add_argument("--limit", type=int, default=30, help="最多显示多少处问题")
    p.add_argument("--out", help="把隔离清单写成 CSV")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("score", help="复算自评得分并审核，写出 项目得分.csv、指标得分.csv、审核发现.csv")
    p.add_argument("data")
    p.add_argument("--out", required=True, help="输出文件夹")
    p.add_argument("--profile", default=DEFAULT_PROFILE, help="规则口径名或 .yaml 文件")
    p.add_argument("--month", type=int, default=None,
                   help="监控截至月份：给出则只读入该月的监控行并输出监控预警；不给则不读执行监控、指标监控")
    p.add_argument("--year", type=int, default=None)
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="dask：按单位分区在 dask.distributed 集群上计算（需 pip install -e '.[dask]'）")
    p.add_argument("--scheduler", default=None, help="dask 调度器地址，如 tcp://10.0.0.5:8786；不给则用本机 LocalCluster")
    p.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="输出格式：csv（默认，UTF-8 带 BOM，Excel/WPS 直接打开）或 parquet（全省规模，超过 Excel "
                        "1,048,576 行时用；分区数据集只能 parquet）")
    p.add_argument("--jobs", type=int, default=None,
                   help="使用的处理器核数（默认：数据文件夹超过 32 MB 且空闲内存足够时用 2 核，否则 1 核）；结果与 1 核逐字节相同")
    p.add_argument("--archive", default="data/perfkit.duckdb", help="年度档案文件（与 --record 一起用）")
    p.add_argument("--record", action="store_true", help="计分后把本年度数据与结果存入年度档案")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("partition", help="把 Parquet 格式的全省数据按单位分成若干份，供 dask 各 worker 自行读取")
    p.add_argument("data", help="Parquet 合同表文件夹（项目.parquet、绩效自评.parquet …）")
    p.add_argument("--out", required=True, help="分区数据集文件夹（须放在所有 worker 都能读到的存储上）")
    p.add_argument("--parts", type=int, default=8, help="分区数，一般取 worker 数的 2–4 倍（默认 8）")
    p.set_defaults(func=_cmd_partition)

    p = sub.add_parser("rules", help="列出当前规则及其来源")
    p.add_argument("--profile", default=DEFAULT_PROFILE)
    p.add_argument("--year", type=int, default=2022)
    p.set_defaults(func=_cmd_rules)

    p = sub.add_parser("report", help="生成年度报告与预算安排分析（HTML + PDF + Excel）")
    p.add_argument("--data", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", required=True, help="如 reports/2022")
    p.add_argument("--month", type=int, default=5)
    p.add_argument("--profile", default=DEFAULT_PROFILE)
    p.add_argument("--district", default="高新区（新市区）")
    p.add_argument("--notebooks", default=None, help="notebooks 文件夹（默认仓库中的 notebooks/）")
    p.add_argument("--archive", default="data/perfkit.duckdb",
                   help="年度档案（存在时与上年比较、按多年结果升级处理；内部资料，不得公开）")
    p.add_argument("--record", action="store_true", help="报告完成后把本年度数据与结果存入年度档案")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("disclose", help="按单位生成随决算公开的项目支出绩效自评表（xlsx + html，不含涉密项目）")
    p.add_argument("data")
    p.add_argument("--out", required=True)
    p.add_argument("--year", type=int, default=None, help="公开的年度（数据含多个年度时必须给出）")
    p.add_argument("--no-classified", "--无涉密项目", dest="no_classified", action="store_true",
                   help="确认本数据没有涉密项目。数据中没有涉密列（涉密/是否涉密/涉密项目/密级）时，不加此项则拒绝公开")
    p.add_argument("--archive", default="data/perfkit.duckdb",
                   help="年度档案（存在时，以前任一年度标为涉密的项目及其变更后的编码同样不公开）")
    p.set_defaults(func=_cmd_disclose)

    p = sub.add_parser("import-forms", help="批量读取各地印发格式的绩效表（自评表、目标表、监控表；.xlsx/.xls/.docx）")
    p.add_argument("folder")
    p.add_argument("--out", required=True, help="输出：.xlsx 工作簿或文件夹")
    p.set_defaults(func=_cmd_import_forms)

    p = sub.add_parser("feedback", help="给每个单位写绩效评价结果反馈及整改通知（Word）与明细（Excel）")
    p.add_argument("--data", required=True)
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--out", required=True, help="输出文件夹，如 reports/2022/反馈通知")
    p.add_argument("--month", type=int, default=5, help="监控截至月份（预警项目）")
    p.add_argument("--deadline", default=None, help="整改期限，如 2023年3月31日（默认次年3月31日）")
    p.add_argument("--profile", default=DEFAULT_PROFILE)
    p.add_argument("--district", default="高新区（新市区）")
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser("archive", help="年度档案（DuckDB 文件）：存入、列出、删除某年度的数据与结果")
    p.add_argument("action", choices=["add", "list", "drop"], help="add 存入（同年度则替换）、list 列出、drop 删除")
    p.add_argument("data", nargs="?", help="add 时：该年度的工作簿或文件夹")
    p.add_argument("--year", type=int, default=None)
    p.add_argument("--archive", default="data/perfkit.duckdb", help="档案文件（内部资料，含涉密项目，不得公开）")
    p.add_argument("--db", dest="archive", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # the old name
    p.add_argument("--month", type=int, default=None, help="监控截至月份")
    p.add_argument("--profile", default=DEFAULT_PROFILE)
    p.set_defaults(func=_cmd_archive)

    p = sub.add_parser("template", help="写出空白 Excel 填报模板")
    p.add_argument("--out", default=None, help="输出文件（默认 data/templates/perfkit_模板.xlsx；加 --forms 时为 "
                                               "data/templates/绩效表_空白.xlsx）")
    p.add_argument("--forms", action="store_true",
                   help="写出单位填报用的空白绩效表（全国通用格式的项目支出绩效自评表、绩效目标表），import-forms 可原样读回")
    p.set_defaults(func=_cmd_template)
    return parser


def _skip_iri_grammar() -> None:
    """Keep jsonschema from importing rfc3987-syntax in this process: ≈ 1 s of building ~35 Earley
    parsers (python-jsonschema/jsonschema#1428), paid by every command that loads nbformat (``report``)
    for an ``iri`` format check that no notebook schema uses. A ``None`` entry makes the import fail, and
    jsonschema then leaves that one format unchecked. Only the command's own process is touched, not
    programs that import perfkit."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    _skip_iri_grammar()
    parser = build_parser()
    args = parser.parse_args(argv)
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
