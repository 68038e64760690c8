"""Report display helpers: 合计 rows carry recomputed rates; tables and charts are numbered in order."""

from __future__ import annotations

import pandas as pd
import pytest

from perfkit.reporting import display as D


def test_total_row_recomputes_rates_from_the_summed_columns() -> None:
    f = pd.DataFrame({"类别": ["a", "b"], "项目数": [10, 30], "预警项目数": [1, 6], "全年预算数": [1_000_000, 3_000_000],
                      "全年执行数": [500_000, 2_700_000], "预警率": [0.1, 0.2], "执行率": [0.5, 0.9]})
    out = D.format_table(f, money=["全年预算数", "全年执行数"], percent=["预警率", "执行率"], total=True,
                         rates={"预警率": ("预警项目数", "项目数"), "执行率": ("全年执行数", "全年预算数")})
    total = out.iloc[-1]
    assert total["类别"] == "合计" and total["预警率"] == "17.5%" and total["执行率"] == "80.0%"
    assert total["全年预算数"] == "4.00"  # summed in 分, printed in 万元
    plain = D.format_table(f, percent=["预警率"], total=True)
    assert plain.iloc[-1]["预警率"] == ""  # no rule given: left blank, never summed


def test_captions_are_numbered_in_order_of_appearance() -> None:
    D.heading("报告", 1)  # a title restarts the numbering
    assert D.numbered("表3 甲") == "表1 甲" and D.numbered("表5 乙") == "表2 乙" and D.numbered("图 丙") == "图1 丙"
    assert D.numbered("附表1 全部单位") == "附表1 全部单位"
    D.heading("另一份报告", 1)
    assert D.numbered("表9 丁") == "表1 丁"


@pytest.mark.parametrize(("value", "year", "expected"), [
    ("2023-01-08", 2022, "2023年1月8日"),  # the bureau's date, full numerals, no padding
    ("2023-10-28", None, "2023年10月28日"),
    (None, 2000, "　　　　年　　月　　日"),  # generated long after: left for the signer, never a date that contradicts
])
def test_signing_date(value, year, expected) -> None:
    from perfkit.reporting.display import signing_date

    assert signing_date(value, year) == expected


def test_signing_date_is_today_in_the_year_after_the_report() -> None:
    import datetime as dt

    from perfkit.reporting.display import signing_date

    today = dt.date.today()
    assert signing_date(None, today.year - 1) == f"{today.year}年{today.month}月{today.day}日"


def test_an_older_policy_file_keeps_the_new_passages_default(tmp_path) -> None:
    """A bureau's policy text written before the report gained 附件 and 落款 still runs: its passages
    replace the defaults, the rest keep them."""
    from perfkit.reporting.annual import load_policy

    own = tmp_path / "policy.yaml"
    own.write_text("preamble: 我区的前言。\nrequirements: []\n", encoding="utf-8")
    p = load_policy(own, district="某区", year=2022, next_year=2023)
    assert p["preamble"] == "我区的前言。" and p["requirements"] == []
    assert p["issuer"] == "某区财政局" and p["attachments"] and p["achievements"]
