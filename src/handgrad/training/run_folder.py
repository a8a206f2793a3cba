"""A run folder: claimed by one run at a time, written atomically, every fault named by path.

A run holds an exclusive lock (``fcntl.flock`` on ``RUN/.lock``) for as long as it runs;
the kernel drops the lock when the process ends, however it ends, so a killed run never
leaves a stale claim. A second run on the same folder fails at once, naming the folder.

Files are written whole or not at all: to ``PATH.tmp`` in the same folder, flushed to
disk, then moved into place with ``os.replace``. When writing fails (a full disk, a
read-only folder), the ``.tmp`` is removed and the error names ``PATH``.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, no claim
    fcntl = None


class RunFolderError(OSError):
    """The run folder cannot be used: taken by another run, or a file-system fault."""


def describe(err: OSError) -> str:
    """An ``OSError`` in one line that names the path: ``PATH: reason``."""
    reason = err.strerror or str(err) or type(err).__name__
    if err.filename is None:
        return reason
    if getattr(err, "filename2", None):
        return f"{err.filename} -> {err.filename2}: {reason}"
    return f"{err.filename}: {reason}"


def named(err: OSError, path: str) -> OSError:
    """``err`` with ``path`` as its file name when it has none (np.savez, write)."""
    if err.filename is None:
        return type(err)(err.errno, err.strerror or str(err), path)
    return err


def _not_a_folder(path: str) -> str:
    """What stands at ``path`` instead of a folder: ``"a file"`` or ``"a broken symlink"``."""
    return "a broken symlink" if not os.path.exists(path) else "a file"


def check_folder(path: str, what: str) -> None:
    """Raises ``RunFolderError`` when ``path`` exists but is not a folder."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise RunFolderError(errno.ENOTDIR, f"{what} is {_not_a_folder(path)}, not a folder", path)


def run_config(run_dir: str) -> str:
    """The ``config.toml`` of the run folder ``run_dir``.

    Raises:
      ValueError: when ``run_dir`` is empty.
      RunFolderError: saying what is there instead: nothing, a file, a broken symlink, or a
        folder without ``config.toml`` (named).
    """
    from handgrad.names import empty

    refused = empty(run_dir, "RUN_DIR", "a run folder written by handgrad train")
    if refused:
        raise ValueError(refused)
    config_path = os.path.join(run_dir, "config.toml")
    if not os.path.isdir(run_dir):
        kind = _not_a_folder(run_dir) if os.path.lexists(run_dir) else None
        said = f"{kind}, not a folder" if kind else "no such folder"
        raise RunFolderError(errno.ENOTDIR, f"not a run folder ({said})", run_dir)
    if not os.path.isfile(config_path):
        raise RunFolderError(errno.ENOENT, f"not a run folder ({config_path} is missing)", run_dir)
    return config_path


def make_folder(path: str, what: str) -> bool:
    """Creates ``path`` (and its parents) if it is missing; True when it was created here."""
    check_folder(path, what)
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path)
    except FileExistsError:  # created meanwhile by someone else
        check_folder(path, what)
        return False
    except OSError as err:
        raise named(err, path) from None
    return True


def write_atomic(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Calls ``write(f)`` on ``PATH.tmp``, syncs it, and moves it onto ``path``.

    Raises:
      OSError: naming ``path`` (also for a fault of ``PATH.tmp``); no ``.tmp`` is left behind.
    """
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(err, OSError):
            if err.filename == tmp:  # the user gave path: the temporary name is ours
                err = type(err)(err.errno, err.strerror or str(err))
            raise named(err, path) from None
        raise


def write_text(path: str, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    write_atomic(path, lambda f: f.write(text.encode()))


def append_line(path: str, line: str) -> None:
    """Appends one line; a write that fails (a full disk) raises naming ``path``.

    A line torn by a kill or a full disk can only be the file's last: ``metrics.jsonl``
    readers skip it when it lies past the checkpoint a run resumes from.
    """
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError as err:
        raise named(err, path) from None


@contextlib.contextmanager
def claim(run_dir: str) -> Iterator[None]:
    """Holds ``RUN/.lock`` exclusively while the block runs.

    Raises:
      RunFolderError: when another process holds the folder.
    """
    path = os.path.join(run_dir, ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise named(err, path) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
                by = f" (process {holder})" if holder.isdigit() else ""
                raise RunFolderError(
                    errno.EBUSY,
                    f"another handgrad run is using this folder{by}; wait for it or choose "
                    "another --out",
                    run_dir,
                ) from None
            try:  # the holder's pid, for the message a second run prints
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
            except OSError as err:
                raise named(err, path) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
