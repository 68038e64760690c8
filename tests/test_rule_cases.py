"""Rule cases as data beside each profile (``perfkit/rules/profiles/<profile>.cases.yaml``): every profile
the package ships has its cases and passes them, run through the code perfkit score runs; a case whose
expected value is wrong is reported (the check can fail); a district's own profile checks itself with
``perfkit rules --check 口径文件.yaml``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from perfkit.analyses.cases import cases_file, read_cases, report_lines, run_cases
from perfkit.cli import main
from perfkit.io.base import InputError
from perfkit.rules.rulebook import PROFILES_DIR, available_profiles


@pytest.mark.parametrize("profile", available_profiles())
def test_every_shipped_profile_passes_its_own_cases(profile: str) -> None:
    assert cases_file(profile).is_file(), f"{profile} has no cases beside it ({cases_file(profile).name})"
    results = run_cases(profile)
    kinds = {r.kind for r in results}
    assert len({r.case for r in results}) >= 4 and kinds, "a cases file with (almost) nothing in it checks nothing"
    wrong = [line for line in report_lines(results) if not line.startswith("通过")]
    assert all(r.passed for r in results), "\n".join(wrong)


def test_the_cases_cover_scoring_grading_and_monitoring() -> None:
    results = run_cases("mof2020")
    assert {r.kind for r in results} == {"自评", "等级", "监控"}
    fields = {r.field for r in results}
    assert {"得分", "档次", "执行率得分", "总分", "等级", "复算状态", "执行灯", "指标灯", "预警", "偏差（百分点）"} <= fields


def _with_changed(tmp_path: Path, profile: str, name: str, field: str, value: object) -> Path:
    doc = yaml.safe_load(cases_file(profile).read_text(encoding="utf-8"))
    case = next(c for c in doc["cases"] if c["名称"] == name)
    case["应得"][field] = value
    out = tmp_path / f"{profile}{'.cases.yaml'}"
    out.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return out


@pytest.mark.parametrize("name, field, wrong, said", [
    ("正向指标未达标按完成比例计分（20×40/50）", "得分", 17, "得分：应为 17，实为 16"),
    ("实际完成值「见附件」无法复算，不计 0 分", "得分", 0, "得分：应为 0，实为 （空）"),
    ("定性指标「部分达成」按档次计分（10×0.7）", "档次", "达成", "档次：应为 达成，实为 部分达成"),
    ("总分 89.99 为良", "等级", "优", "等级：应为 优，实为 良"),
    ("执行与指标都合序时进度，绿灯不预警", "预警", "是", "预警：应为 是，实为 否"),
    ("执行为序时进度的 40%，红灯预警", "执行灯", "黄", "执行灯：应为 黄，实为 红"),
    ("执行率 80% 得执行率分值的 80%，总分 88 为良", "执行率", "90%", "执行率：应为 90%，实为 0.8"),
])
def test_a_wrong_expected_value_is_reported(tmp_path: Path, name: str, field: str, wrong: object, said: str) -> None:
    results = run_cases("mof2020", _with_changed(tmp_path, "mof2020", name, field, wrong))
    failed = [r for r in results if not r.passed]
    assert [(r.case, r.field) for r in failed] == [(name, field)]  # that one value, and nothing else
    lines = report_lines(results)
    assert f"不通过  [{failed[0].kind}] {name}" in lines and any(said in line for line in lines)


def test_a_district_profile_checks_itself_from_the_command(tmp_path: Path, capsys) -> None:
    """A district copies mof2020's cases beside its own profile (执行率 20 分): the command names the cases
    its change moves and exits non-zero; with the cases brought in line it passes."""
    profile = tmp_path / "本区口径.yaml"
    profile.write_text(yaml.safe_dump({"profile": "本区口径", "title": "本区口径（执行率 20 分）", "extends": "mof2020",
                                       "parameters": {"evaluation.execution_weight": {
                                           "description": "预算执行率分值", "unit": "分", "basis": "本局设定",
                                           "source": "本区绩效自评表（预算执行率 20 分）",
                                           "values": {"2020-01-01": 20}}}}, allow_unicode=True), encoding="utf-8")
    shutil.copy(PROFILES_DIR / "mof2020.cases.yaml", tmp_path / "本区口径.cases.yaml")
    assert main(["rules", "--check", str(profile)]) == 1
    out = capsys.readouterr().out
    assert "不通过  [自评] 执行率 80% 得执行率分值的 80%，总分 88 为良" in out
    assert "执行率得分：应为 8，实为 16" in out and "个不通过" in out
    assert "不通过  [自评] 正向指标达标得满分" not in out  # what the change does not touch still passes

    doc = yaml.safe_load((tmp_path / "本区口径.cases.yaml").read_text(encoding="utf-8"))
    doc["cases"] = [c for c in doc["cases"] if c["类型"] != "自评" or "指标" not in c["输入"]]
    (tmp_path / "本区口径.cases.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["rules", "--check", str(profile)]) == 0
    assert "0 个不通过" in capsys.readouterr().out


def test_a_broken_cases_file_is_one_line_in_chinese(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "x.cases.yaml"
    bad.write_text("cases:\n  - {名称: 甲, 类型: 评分, 输入: {}, 应得: {得分: 1}}\n", encoding="utf-8")
    with pytest.raises(InputError, match="类型应为 自评、监控、等级"):
        read_cases(bad)
    bad.write_text("cases:\n  - {名称: 甲, 类型: 等级, 输入: {总分: 90}, 应得: {得分: 1}}\n", encoding="utf-8")
    assert main(["rules", "--check", "mof2020", "--cases", str(bad)]) == 2
    assert "等级案例没有「得分」这一结果" in capsys.readouterr().err
    assert main(["rules", "--check", "不存在的口径"]) == 2
    assert "找不到规则口径「不存在的口径」" in capsys.readouterr().err


def test_the_cases_are_not_listed_as_profiles() -> None:
    assert not [p for p in available_profiles() if p.endswith(".cases")]
