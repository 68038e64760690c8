"""perfkit — 预算绩效管理分析工作台.

The package follows the management cycle: ``io`` reads the official forms, ``rules`` holds the
rulebook and the scoring formulas, ``analyses`` runs each stage of the cycle (ex-ante, targets,
monitoring, evaluation, review, application), ``pipeline`` declares the stages once and runs them (one
process, two processes, Dask), ``reporting`` turns results into the annual report; ``api`` and ``cli``
on top.
"""

from pathlib import Path

__version__ = "0.1.0"


def shipped_notebooks() -> Path:
    """The notebooks perfkit ships (the reports, the explorer): inside the installed package when it was
    installed from a wheel (the build copies ``notebooks/`` into ``perfkit/notebooks``, see setup.py),
    else the repository's ``notebooks/`` folder (a checkout, an editable install)."""
    packaged = Path(__file__).resolve().parent / "notebooks"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "notebooks"
