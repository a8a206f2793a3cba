"""Ctrl-C that stops a run cleanly: deferred to the next safe point, never inside XLA.

A ``KeyboardInterrupt`` raised while XLA compiles or runs a program can kill the process
(a segmentation fault as the interpreter shuts down around XLA's threads), and one raised
while a file is written leaves half of it. So while a run is deferring, SIGINT only sets a
flag; the run looks at it between chunks (``raise_if_interrupted``), where it can save a checkpoint and
stop with ``Interrupted``. A second Ctrl-C stops at once: in the ``handgrad`` command
(``hard=True``) by printing ``status`` (what is on disk) and exiting with 130, elsewhere
(a notebook) with the usual ``KeyboardInterrupt``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, handled: the message says what was saved and how to resume."""


class _State:
    depth = 0  # nesting of ``deferred`` blocks (only the outermost installs the handler)
    requested = False
    hard = False
    status = "nothing was saved"  # what a hard stop leaves on disk, kept up to date by the run
    command = "handgrad"
    cleanup = None  # called before a hard stop: removes what an unsaved run began to write


def _handler(signum, frame):
    if not _State.requested:
        _State.requested = True
        return
    if _State.hard:  # a second Ctrl-C in the command: out now, saying what is on disk
        if _State.cleanup is not None:
            _State.cleanup()
        sys.stdout.flush()
        sys.stderr.write(f"\n{_State.command}: interrupted: {_State.status}\n")
        sys.stderr.flush()
        os._exit(130)
    raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_sigint(*, hard: bool = False, command: str = "handgrad") -> Iterator[None]:
    """Within the block, SIGINT sets a flag that ``raise_if_interrupted`` turns into ``Interrupted``.

    Does nothing outside the main thread (signals only reach the main thread). Nested
    blocks share the outermost one's flag and settings.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _State.depth:
        _State.depth += 1
        try:
            yield
        finally:
            _State.depth -= 1
        return
    previous = signal.signal(signal.SIGINT, _handler)
    _State.depth, _State.requested, _State.hard, _State.command = 1, False, hard, command
    _State.status, _State.cleanup = "nothing was saved", None
    try:
        yield
    finally:
        _State.depth, _State.cleanup = 0, None
        signal.signal(signal.SIGINT, previous)


def set_saved_status(text: str, cleanup: Callable[[], None] | None = None) -> None:
    """What a hard stop would leave on disk, e.g. "the last checkpoint is …; resume with …",
    and what it should remove first (a run folder that holds nothing resumable yet)."""
    _State.status, _State.cleanup = text, cleanup


def raise_if_interrupted(message: str) -> None:
    """Raises ``Interrupted(message)`` if Ctrl-C was pressed."""
    if _State.requested:
        raise Interrupted(message)
