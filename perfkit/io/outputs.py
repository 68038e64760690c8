"""An output folder is one unit: each command builds its whole output set aside and swaps it in.

A finance analyst publishes or e-mails a folder as it is. So a folder perfkit writes must hold exactly
the current run's files — never a stale 监控预警_3月.csv next to this run's 5月, never a unit folder of a
project flagged 涉密 since the last run, never half of a run that was killed. Every command therefore:

1. refuses an ``--out`` that is a file, or a folder holding files perfkit did not write (it is about to
   replace the whole folder, and a user's own file must not vanish);
2. removes what its own earlier, interrupted runs left beside ``--out`` (hidden staging folders);
3. writes everything into a hidden staging folder beside ``--out`` (same file system);
4. swaps the staging folder in with one atomic rename (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere
   two renames, and an interrupted swap is undone by the next run), then deletes the old output.

A killed run therefore leaves either the previous output or the new one, whole — plus at most a hidden
leftover that the next run removes. Pandas-free: ``perfkit report`` imports this without pandas.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from perfkit.io.base import InputError

MARKER = ".perfkit-output.json"  # written last into every output folder: "perfkit wrote this, whole"
_TAG = ".perfkit-"  # staging and old-output folders: .<out name>.perfkit-<pid>-<kind>-<random>


def _leftover_pattern(name: str) -> re.Pattern[str]:
    """This module's staging/old folders for ``name``, and the two kinds earlier versions of ``report``
    left (``.<name>-<8 random>`` from mkdtemp and ``.<name>-old-<timestamp>``)."""
    n = re.escape(name)
    return re.compile(rf"^\.{n}\.perfkit-(?P<pid>\d+)-(?P<kind>new|old)-[a-z0-9_]+$"
                      rf"|^\.{n}-(?:[a-z0-9_]{{8}}|old-\d{{20}})$")


def process_alive(pid: int, folder: Path | None = None) -> bool:
    """Is the run that made a staging folder still going? (On Windows, where probing a process by signal
    would interrupt it, a folder younger than a day is presumed in use.)"""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        try:
            return folder is not None and dt.datetime.now().timestamp() - folder.stat().st_mtime < 86_400
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def clean_leftovers(out: Path) -> list[Path]:
    """Remove the hidden folders that interrupted runs for ``out`` left beside it (not those of a run
    still going). If an interrupted swap left ``out`` missing but its old version aside, put it back."""
    parent = out.parent
    if not parent.is_dir():
        return []
    pattern = _leftover_pattern(out.name)
    removed: list[Path] = []
    olds: list[Path] = []
    for entry in parent.iterdir():
        m = pattern.match(entry.name)
        if not m or not entry.is_dir() or entry.is_symlink():
            continue
        if m["pid"] and process_alive(int(m["pid"]), entry):
            continue
        if m["kind"] == "old" or "-old-" in entry.name:
            olds.append(entry)
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    olds.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    if olds and not out.exists() and (olds[0] / MARKER).exists():
        olds[0].rename(out)  # a swap interrupted between its two renames: the previous output returns
        olds = olds[1:]
    for entry in olds:
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def check_output_folder(out: Path, command: str, ours: Callable[[Path], bool], inputs: tuple[Path, ...] = ()
                        ) -> None:
    """Refuse an ``--out`` that perfkit must not replace: a file, a folder with someone else's files, or
    the folder holding the input.

    ``ours`` says whether an entry of a folder written by an earlier version (no marker yet) is one of
    this command's own outputs."""
    for data in inputs:
        data = Path(data).absolute()
        if data == out or out in data.parents:
            raise InputError(f"--out {out} 是输入数据 {data.name} 所在的文件夹；输出会整体替换该文件夹，请另选一个文件夹")
    if out.is_file() or (out.exists() and not out.is_dir()):
        raise InputError(f"--out {out} 是一个已有的文件，这里应是输出文件夹（perfkit {command} 会写出一组文件）")
    for up in out.parents:
        if up.exists() and not up.is_dir():
            raise InputError(f"--out {out} 无法创建：{up} 是文件，不是文件夹")
    refuse_public(out, command, "--out", inside_only=True)  # nothing (涉密 rows, internal lists) goes public
    if not out.is_dir():
        return
    if (out / MARKER).exists():
        other = written_by(out)
        if other not in (None, command):
            raise InputError(f"--out {out} 是 perfkit {other} 写出的文件夹；perfkit {command} 会整体替换它，"
                             "请另选一个文件夹")
        return
    foreign = sorted(e.name for e in out.iterdir() if not ours(e) and not _is_temp_file(e))
    if foreign:
        raise InputError(f"--out {out} 中已有不是 perfkit {command} 写出的内容（如「{foreign[0]}」）；"
                         "每次运行会整体替换输出文件夹，请指定一个新的或空的文件夹")


def _is_temp_file(entry: Path) -> bool:
    """A temporary file :func:`perfkit.io.write.atomic_path` left when a run was killed mid-write."""
    return entry.name.startswith(".") and re.search(r"-[a-z0-9_]{8}\.[A-Za-z]+$", entry.name) is not None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ≥ 3.15, glibc ≥ 2.28); False where that is not available."""
    if os.name != "posix":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, out: Path) -> Path | None:
    """Put ``staging`` where ``out`` is; returns the folder now holding the previous output (to delete)."""
    if not out.exists():
        staging.rename(out)
        return None
    if _exchange(staging, out):
        return staging
    old = out.with_name(staging.name.replace("-new-", "-old-"))
    out.rename(old)
    staging.rename(out)
    return old


@contextmanager
def replaced_folder(out: str | Path, command: str, ours: Callable[[Path], bool] = lambda e: False,
                    inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``out``; when the block succeeds, it becomes ``out`` whole.

    On any failure (or a kill) the previous ``out`` is untouched; the staging folder is removed here,
    or by the next run if the process was killed."""
    out = Path(out).absolute()
    if out.is_symlink():
        out = out.resolve()
    check_output_folder(out, command, ours, inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out} 无法创建：{os_error_text(exc)}") from exc
    clean_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{_TAG}{os.getpid()}-new-", dir=out.parent))
    old: Path | None = None
    try:
        yield staging
        (staging / MARKER).write_text(json.dumps(
            {"command": command, "written": dt.datetime.now().isoformat(timespec="seconds")},
            ensure_ascii=False), encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes 0700; outputs are meant to be shared
        old = _swap_in(staging, out)
    except Exception as exc:
        os_exc = os_error_in(exc)
        if os_exc is None:
            raise
        raise InputError(f"写出 {out} 失败，{os_error_text(os_exc)}；未写完的文件已清除，原有输出未改动") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def publication_folder(path: str | Path, inside_only: bool = False) -> Path | None:
    """The folder ``perfkit disclose`` wrote that ``path`` lies in (or is), judged on the path as given
    and on the path with every symbolic link resolved (a link inside 公开/ pointing out, or outside
    pointing in, is where the bytes land); None when there is none."""
    given = Path(path).absolute()
    try:
        real = Path(os.path.realpath(given))
    except (OSError, RuntimeError, ValueError):  # a link loop: judged on the path as given
        real = given
    for p in dict.fromkeys((given, real)):
        for up in (p.parents if inside_only else (p, *p.parents)):
            if written_by(up) == "disclose":
                return up
    return None


def refuse_public(path: str | Path, command: str, option: str = "--out", inside_only: bool = False) -> None:
    """Refuse an internal output (score files, reports, the archive, a quarantine list — they name 涉密
    projects) inside a publication folder, symbolic links resolved."""
    found = publication_folder(path, inside_only)
    if found is not None:
        raise InputError(f"{option} {path} 在信息公开文件夹 {found} 之内；perfkit {command} 的输出含涉密项目或内部资料，"
                         "不得写入公开文件夹，请另选位置")


def written_by(folder: Path) -> str | None:
    """The command that wrote ``folder`` (its marker), or None."""
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        return None


_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "磁盘配额已用完", errno.EFBIG: "文件超出系统允许的大小（磁盘或配额限制）",
    errno.EACCES: "没有写入权限", errno.EPERM: "没有权限", errno.EROFS: "所在磁盘是只读的",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹", errno.EISDIR: "这是一个文件夹，应为文件",
    errno.ENAMETOOLONG: "文件名或路径过长", errno.ENOENT: "找不到文件或文件夹", errno.EEXIST: "已有同名的文件或文件夹",
    errno.EIO: "磁盘读写错误", errno.ENOTEMPTY: "文件夹不是空的",
}


def os_error_text(exc: OSError) -> str:
    """An operating-system error in the user's words, with the path it concerns (no English)."""
    what = _OS_ERRORS.get(exc.errno or -1, f"系统错误（错误码 {exc.errno}）")
    where = exc.filename if exc.filename is not None else ""
    return f"{what}：{where}" if where else what


def os_error_in(exc: BaseException) -> OSError | None:
    """The operating-system error behind ``exc`` (libraries wrap them), if any."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno is not None:
            return e
        e = e.__cause__ or e.__context__
    return None


_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)


def safe_name(text: str, limit: int = 60) -> str:
    """A file name from data — the one sanitiser of every file and folder named after a unit or project
    (disclose, letters): no path separators, no leading dots, no control or reserved characters, no
    trailing dot or space and no device name (Windows cannot open those)."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", str(text)).strip().lstrip(".")
    name = (name or "_")[:limit].rstrip(". ") or "_"
    return "_" + name if _WINDOWS_RESERVED.match(name) else name
