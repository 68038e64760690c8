"""Synthetic districts: the first shaped like the seed report's (高新区（新市区）, 132 budget units), a
second of another province (青溪区, 60 units, another year and as-of month) — each a :class:`DemoDistrict`
whose name, places, documents and settings are data, not code; ``perfkit demo`` writes either as a
workspace (设置.yaml, 政策表述.yaml, the workbook).

Units and project names come from ``data/catalog.yaml`` (:mod:`perfkit.demo.catalog`): each kind of
unit runs the projects that fit it, each project name has its 支出类别 and an amount range, and a
place-bound work is named after its unit's own street or township. Deterministic for a seed
(:mod:`perfkit.demo.generate`). It plants the anomalies real self-evaluation tables show and records
each one in ``planted`` so that tests can check the review finds them. On top of that it adds the noise
that real forms carry at the rates of :class:`Noise` (:mod:`perfkit.demo.noise`), from a random stream
of its own, and logs every noisy cell in ``noise``. ``clean=True`` leaves the noise out and gives the
same district otherwise: the perfect version, for tests that re-derive exact figures. Earlier years
(:mod:`perfkit.demo.years`) keep the units and projects and draw their own results.
"""

from perfkit.demo.catalog import CATALOG, catalog
from perfkit.demo.districts import DEMO_DISTRICTS, DEMO_TEXT, DISTRICT, GAOXIN, QINGXI, DemoDistrict
from perfkit.demo.generate import BANK, QUAL_PARTIAL, UNREADABLE, Demo, generate
from perfkit.demo.noise import (
    DECISION_L1,
    DEGREE_WORDS,
    DESCRIPTIVE,
    FRAMEWORK_BANK,
    NEGATED_WORDS,
    NOISE_KINDS,
    OCR_VARIANTS,
    PARTIAL_WORDS,
    PROCESS_L1,
    UNREADABLE_ACTUALS,
    Noise,
)
from perfkit.demo.years import (
    generate_codes,
    generate_district,
    generate_years,
    write_demo,
    write_workspace,
)

STREETS, TOWNS = GAOXIN.streets, GAOXIN.towns  # the first district's places (earlier callers)

__all__ = [
    "BANK", "CATALOG", "DECISION_L1", "DEGREE_WORDS", "DEMO_DISTRICTS", "DEMO_TEXT", "DESCRIPTIVE", "DISTRICT",
    "FRAMEWORK_BANK", "GAOXIN", "NEGATED_WORDS", "NOISE_KINDS", "OCR_VARIANTS",
    "PARTIAL_WORDS", "PROCESS_L1", "QINGXI", "QUAL_PARTIAL", "STREETS", "TOWNS", "UNREADABLE", "UNREADABLE_ACTUALS",
    "Demo", "DemoDistrict", "Noise", "catalog", "generate", "generate_codes", "generate_district", "generate_years",
    "write_demo", "write_workspace",
]
