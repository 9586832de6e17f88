"""Saves that are all or nothing: a reader (or the next run) finds the complete old version or the
complete new one at a path, never a mix, whatever fails in between.

A file is written to a hidden sibling (`.NAME.tmp-PID-RAND`), fsynced and renamed over the target.
A directory is written into a hidden sibling directory, every file in it fsynced, and then
swapped in with one `renameat2(RENAME_EXCHANGE)` (Linux): at every instant the path holds a
complete directory. Where the kernel or the file system cannot exchange (macOS, some network
file systems) the old directory is renamed aside (`.NAME.old-PID-RAND`) and the new one renamed in;
a crash between those two renames leaves the path missing and the old version beside it, which the
next save or `recover` renames back. That fallback is safe for one writer at a time; the exchange
is safe for any number of concurrent writers.

Leftover temporary siblings of a crashed writer are never read: the next save of the same path
removes those whose process is gone. Readers that need several files of one saved directory use
`read_files`, which returns them all from the same version of it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nclib.errors import NclibError

__all__ = ["SaveError", "atomic_directory", "atomic_write_bytes", "atomic_write_text", "read_files", "recover"]


class SaveError(NclibError, OSError):
    """A save was refused before anything was written (the target is a file where a directory
    belongs, or the reverse, or the current directory); the message names the path."""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
try:
    _renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
except OSError:  # no C library to open (Windows): the rename fallback
    _renameat2 = None


def _exchange(a: Path, b: Path) -> None:
    """Swap the directory entries a and b in one step (both must exist)."""
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available", str(b))
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def _sibling(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _siblings(path: Path, kind: str) -> list[Path]:
    """Hidden siblings of `path` of one kind ("tmp" or "old"), oldest first."""
    prefix = f".{path.name}.{kind}-"
    try:
        found = [p for p in path.parent.iterdir() if p.name.startswith(prefix)]
    except FileNotFoundError:
        return []
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except FileNotFoundError:
        return 0.0


def _owner_alive(sibling: Path) -> bool:
    pid = sibling.name.rsplit("-", 2)[-2]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a live process of another user
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Flush every file and directory under root to the disk (a rename is durable only after the
    data it points at is)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            p = Path(folder, name)
            if not p.is_symlink():
                _fsync_path(p)
        _fsync_path(Path(folder), directory=True)


def _target(path, what: str) -> Path:
    """The absolute target path; a symlink in the last component is followed (its target is saved)."""
    path = Path(os.path.abspath(os.fspath(path)))
    if path.is_symlink():
        path = path.resolve()
    if what == "directory":
        if path.exists() and not path.is_dir():
            raise SaveError(f"{path} is a file, not a directory: give a directory path to save to (or remove the file)")
        try:
            cwd = Path.cwd().resolve()
        except FileNotFoundError:  # the working directory was removed: nothing to protect
            cwd = None
        if cwd is not None and path.exists() and (path.resolve() == cwd or path.resolve() in cwd.parents):
            raise SaveError(f"{path} holds the current directory, which a save does not replace: save to a subdirectory")
    elif path.is_dir():
        raise SaveError(f"{path} is a directory, not a file: give a file path to save to")
    return path


def recover(path) -> None:
    """After a crash between the two renames of the fallback swap: put the old directory back at
    `path` when `path` is missing, and remove the leftovers of dead writers. Call only where no
    other process is saving the same path."""
    path = Path(os.path.abspath(os.fspath(path)))
    olds = _siblings(path, "old")
    if not path.exists() and olds:
        os.rename(olds[-1], path)
        olds = olds[:-1]
    for p in olds + _siblings(path, "tmp"):
        if not _owner_alive(p):
            _remove(p)


def _swap_in(tmp: Path, path: Path) -> Path | None:
    """Put directory tmp at path; returns where the old directory went (to be removed), if any."""
    try:
        os.rename(tmp, path)  # path missing or an empty directory: one atomic rename
        return None
    except OSError as err:
        if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    try:
        _exchange(tmp, path)
        return tmp  # tmp now names the old directory
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
    old = _sibling(path, "old")
    os.rename(path, old)
    try:
        os.rename(tmp, path)  # a crash right before this line: `recover` renames old back
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(old, path)
        raise
    return old


@contextlib.contextmanager
def atomic_directory(path, keep: bool | Callable[[str], bool] = False) -> Iterator[Path]:
    """Build the new version of directory `path` in the yielded temporary directory; on a normal
    exit it replaces `path` in one step, on an exception `path` is left as it was.

    keep: copy the entries of the existing directory into the temporary one first (True: all of
        them; a function of the entry name: those it accepts), so that files the writer does not
        write survive the save. They are copies, never links: writing over one cannot change the
        old version before the swap.
    """
    path = _target(path, "directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in _siblings(path, "tmp"):
        if not _owner_alive(p):
            _remove(p)
    if not path.exists() and _siblings(path, "old"):
        recover(path)
    tmp = _sibling(path, "tmp")
    tmp.mkdir()
    try:
        if keep and path.is_dir():
            for entry in path.iterdir():
                if keep is True or keep(entry.name):
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.copytree(entry, tmp / entry.name, symlinks=True)
                    else:
                        shutil.copy2(entry, tmp / entry.name, follow_symlinks=False)
        yield tmp
        _fsync_tree(tmp)
        old = _swap_in(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    with contextlib.suppress(OSError):
        _fsync_path(path.parent, directory=True)
    if old is not None:
        _remove(old)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write `data` to file `path`: afterwards the file holds all of it; if anything fails, the
    file that was there is unchanged."""
    path = _target(path, "file")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(path, "tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    with contextlib.suppress(OSError):
        _fsync_path(path.parent, directory=True)


def atomic_write_text(path, text: str) -> None:
    """`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_files(directory, names: list[str], wait: float = 2.0) -> dict[str, bytes]:
    """{name: bytes} of the files `names` of `directory`, all read from the same version of it
    while `atomic_directory` may be replacing it. Raises FileNotFoundError (naming the missing
    file) when the directory or one of the files does not exist. `wait`: seconds to wait for a
    fallback swap in progress (the directory briefly missing, its old version beside it)."""
    directory = Path(os.path.abspath(os.fspath(directory)))
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            if _siblings(directory, "old") and time.monotonic() < deadline:
                time.sleep(0.01)
                continue
            raise FileNotFoundError(errno.ENOENT, "no such directory", str(directory)) from None
        try:
            out = {}
            for name in names:
                try:
                    f = os.open(name, os.O_RDONLY, dir_fd=fd)
                except FileNotFoundError:
                    if _replaced(directory, fd):  # a writer swapped a new version in and removed ours
                        break
                    raise FileNotFoundError(errno.ENOENT, "no such file", str(directory / name)) from None
                with os.fdopen(f, "rb") as fh:
                    out[name] = fh.read()
            else:
                return out
        finally:
            os.close(fd)


def _replaced(directory: Path, fd: int) -> bool:
    try:
        now = os.stat(directory)
    except FileNotFoundError:
        return True
    then = os.fstat(fd)
    return (now.st_dev, now.st_ino) != (then.st_dev, then.st_ino)
