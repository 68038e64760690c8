"""依据 in the three classes users read — 文件 / 平台惯例 / 本局设定 — from a rule's basis and source in
the rulebook. Shared by the annex, the allocation analysis and the letters (one wording of a rule's basis
everywhere); below all three, so none of them imports another for it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from perfkit.rules.rulebook import Rulebook

ANNEX_TEXT = Path(__file__).parent / "text" / "annex.yaml"
# a document number with what follows it in a citation: 财预〔2020〕10号《…》附件2 第三十一条
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]*〔\d{4}〕\d+号(?:\s*《[^》]+》)?(?:\s*附件\s*\d+)?(?:\s*第[一二三四五六七八九十百零]+条)?")
_DOC_TITLE = re.compile(r"《[^》]+》")


@cache
def _own_choice() -> str:
    """The words for 本局设定 (``text/annex.yaml``: own_choice)."""
    return yaml.safe_load(ANNEX_TEXT.read_text(encoding="utf-8"))["own_choice"]


# a part of a rule's source that marks the value as the bureau's own (older rulebooks wrote it in English
# or named the district's earlier report); a document in such a part holds the principle, not the value
_OWN_MARKS = ("本局设定", "design choice", "seed", "常见口径", "参照", "等地", "DOMAIN")
_PLATFORM = re.compile(r"[\u4e00-\u9fff]*平台[\u4e00-\u9fff]*")


def basis_parts(source: str) -> dict[str, list[str]]:
    """One rule's source read into the three classes of 依据: 文件 (a document that holds the rule and
    its value, with the article), 平台惯例 (the platform named), 本局设定 (the bureau's own setting).
    A document is a 文件 basis only in a part of the source that does not mark the value as the
    bureau's own (“…；压减 20% 为广东常见口径” cites the principle's documents, and the value is 本局设定)."""
    out: dict[str, list[str]] = {"文件": [], "平台惯例": [], "本局设定": []}
    for part in re.split(r"[；;]", source):
        part = part.strip().removeprefix("文件：").removeprefix("平台惯例：")
        if not part:
            continue
        own = any(m in part for m in _OWN_MARKS)
        for ref in _DOC_NUMBER.findall(part):
            m = re.match(r"([\u4e00-\u9fff]*〔\d{4}〕\d+号)\s*(《[^》]+》)?\s*(.*)$", ref.strip())
            entry = m[1] + (m[2] or "") + re.sub(r"\s+", "", m[3])
            if not any(e.startswith(m[1]) for e in out["文件"]):
                out["文件"].append(entry)
        for t in _DOC_TITLE.findall(part):  # a law cited by its title (《保守国家秘密法》)
            if not _DOC_NUMBER.search(part) and t not in out["文件"]:
                out["文件"].append(t)
        platform = _PLATFORM.search(part)
        if platform and not _DOC_NUMBER.search(part):
            out["平台惯例"].append(platform[0])
        if own or not (_DOC_NUMBER.search(part) or _DOC_TITLE.search(part) or platform):
            out["本局设定"].append(part)
    return out


def basis(rules: Rulebook, keys: list[str]) -> str:
    """依据 of a statement in the three classes users read: "文件：财预〔2020〕10号…附件2；平台惯例：…；
    本局设定" — each document once (its number, title and the articles cited), each platform once, and
    本局设定 where any of its rules, or its value, is the bureau's own setting (or no rule is cited)."""
    docs: dict[str, dict[str, Any]] = {}  # document number (or title) → its title and the articles cited
    platforms: list[str] = []
    own = not keys
    for key in keys:
        basis_class = rules.basis(key)  # the rulebook says which of the three classes a rule rests on
        if basis_class == "本局设定":  # the bureau's own setting: no document is cited for it
            own = True
            continue
        if basis_class == "平台惯例":  # practice: the platform named, never a document it mentions
            named = re.split(r"[（(；;]", rules.cite(key))[0].strip()
            if named and named not in platforms:
                platforms.append(named)
            continue
        parts = basis_parts(rules.cite(key))
        for d in parts["文件"]:
            m = re.match(r"([\u4e00-\u9fff]*〔\d{4}〕\d+号)(《[^》]+》)?(.*)$", d)
            number, title, part = (m[1], m[2] or "", m[3]) if m else (d, "", "")
            doc = docs.setdefault(number, {"title": "", "parts": []})
            doc["title"] = doc["title"] or title
            if part and part not in doc["parts"]:
                doc["parts"].append(part)
        platforms += [x for x in parts["平台惯例"] if x not in platforms]
        own = own or bool(parts["本局设定"])
    docs_text = [n + d["title"] + "、".join(d["parts"]) for n, d in docs.items()]
    out = []
    if docs_text:
        out.append("文件：" + "；".join(docs_text))
    if platforms:
        out.append("平台惯例：" + "、".join(platforms))
    if own:
        out.append(_own_choice())
    return "；".join(out)
