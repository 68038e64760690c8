"""perfkit — 预算绩效管理分析工作台.

The package follows the management cycle: ``io`` reads the official forms, ``rules`` holds the
rulebook and the scoring formulas, ``analyses`` runs each stage of the cycle (ex-ante, targets,
monitoring, evaluation, review, application), ``reporting`` turns results into the annual report.
"""

__version__ = "0.1.0"
