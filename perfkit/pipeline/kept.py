"""What the explorer opens from instead of computing again: the self-evaluation scores and the monitoring
at one month that ``perfkit report`` (or an earlier opening of the explorer) computed for the same input.

The explorer's first view needs the scores of the whole year and the monitoring at the month on screen —
most of its opening time. ``perfkit report`` has both for the workspace's profile and month; it keeps
them here, in the user's private cache, keyed by what they depend on:

- the input's content (:func:`input_digest`: every byte of the workbook, or of each file of a folder);
- the year and the as-of month;
- the rules: the content of the profile file (and of the package's profiles it may extend);
- the yearly archive (which file, its size and time: 涉密 in an archived year is 涉密 here too);
- perfkit's version.

Any difference and the kept result is not used (the explorer computes as before and says so). The file
holds every project, 涉密 ones included, and is a pickle: it is written readable by its owner only, and
read only when it and its folder belong to this user and no one else may write them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

from perfkit.analyses.evaluation import Scores
from perfkit.analyses.monitoring import Monitoring
from perfkit.rules.rulebook import PROFILES_DIR

FOLDER = "kept"  # under the user's cache folder (the explorer's cache_root, perfkit report's cache_dir)
SUFFIX = ".start.pickle"
KEEP = 4  # kept results per user (the most recent); disk use, not a rule
BY_REPORT, BY_EXPLORER = "perfkit report", "浏览器"


@dataclass
class Start:
    """A kept result: the scores of the year and the monitoring at ``month``, who computed it and when."""

    scores: Scores
    monitoring: Monitoring
    month: int
    made_by: str
    made_at: dt.datetime


def input_digest(data: str | Path) -> str:
    """The content of an input: a file's bytes, or every (not hidden) file of a folder with its name —
    a 涉密项目清单.xlsx beside the CSVs changes which projects are listed. Dates do not count."""
    path = Path(data)
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    for f in files:
        digest.update(f.name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _rules_digest(profile: str | Path) -> str:
    """The rules' content: the profile file given (a district's own) and the package's profiles."""
    digest = hashlib.sha256()
    path = Path(profile)
    files = sorted(PROFILES_DIR.glob("*.yaml"))
    if path.suffix in (".yaml", ".yml") and path.exists():
        files.append(path)
    else:
        digest.update(str(profile).encode())  # a package profile by name
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _archive_stamp(archive: str | Path | None) -> tuple | None:
    if archive is None or not Path(archive).is_file():
        return None
    info = Path(archive).stat()
    return str(Path(archive).resolve()), info.st_size, info.st_mtime_ns


def key(digest: str, year: int, month: int, profile: str | Path, archive: str | Path | None) -> tuple:
    """Everything a kept result depends on beside its input's content (see the module's docstring)."""
    from perfkit import __version__

    return (__version__, digest, int(year), int(month), _rules_digest(profile), _archive_stamp(archive))


def _path(folder: Path, k: tuple) -> Path:
    return folder / (hashlib.sha256(repr(k).encode()).hexdigest()[:24] + SUFFIX)


def keep(folder: str | Path, k: tuple, scores: Scores, monitoring: Monitoring, made_by: str) -> Path | None:
    """Write a result for the explorer to open from (owner only; the :data:`KEEP` most recent stay).
    Returns None when the cache cannot be written (a read-only home): the explorer then computes."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        start = Start(scores, monitoring, int(k[3]), made_by, dt.datetime.now().replace(microsecond=0))
        fd, tmp = tempfile.mkstemp(prefix=".start-", suffix=".tmp", dir=folder)  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((k, start), fh, protocol=pickle.HIGHEST_PROTOCOL)
        target = _path(folder, k)
        os.replace(tmp, target)
        kept = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
        return target
    except OSError:
        return None


def kept(folder: str | Path, k: tuple) -> Start | None:
    """The result kept under ``k``, or None: none kept, kept for other settings, not this user's private
    file, or unreadable (a damaged file is removed and computed again)."""
    from perfkit.pipeline.stages import private_file

    path = _path(Path(folder), k)
    if not path.is_file() or not private_file(path):
        return None
    try:
        with path.open("rb") as fh:
            stored_key, start = pickle.load(fh)  # noqa: S301 (checked above: the user's own private file)
    except Exception:  # noqa: BLE001 - a damaged or older file is computed again, never shown
        path.unlink(missing_ok=True)
        return None
    if stored_key != k or not isinstance(start, Start):
        return None
    os.utime(path)  # recently used: kept by the pruning
    return start
