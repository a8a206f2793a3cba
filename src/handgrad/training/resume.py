"""Resuming a run: exactly the run it claims to continue, from its newest intact checkpoint.

A run is identified by every field of its resolved config except those that only say how
far it goes and how it is watched (``SAFE_ON_RESUME``): the number of steps, the chunk
length, the check and checkpoint intervals. Chunk boundaries do not change the numbers
(a ``lax.scan`` over 300 steps equals three over 100, bit for bit), so these may change on
``--resume``; any other change would silently make a different run, and is refused by name.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import sys
from typing import Any

from handgrad.training.checkpoint import (
    CheckpointError,
    CorruptCheckpointError,
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    read_checkpoint,
)
from handgrad.training.config import Config, ConfigError, config_fields
from handgrad.training.run_folder import RunFolderError, write_text

SAFE_ON_RESUME = ("optim.steps", "train.chunk", "train.verify_every", "checkpoint.every")


def identity(cfg: Config) -> dict[str, Any]:
    """The fields that make a run the run it is: all but ``SAFE_ON_RESUME``.

    ``data.options`` is always among them, also where ``config_fields`` leaves it out (a data
    set that takes no options): checkpoints have always been identified with it, so a run
    saved before that field was hidden still resumes.
    """
    fields = {"data.options": cfg.data.options, **config_fields(cfg)}
    return {k: v for k, v in fields.items() if k not in SAFE_ON_RESUME}


def fingerprint(fields: dict[str, Any]) -> str:
    """A SHA-256 of the identifying fields (``identity``), as hex."""
    text = json.dumps({k: v for k, v in fields.items() if k not in SAFE_ON_RESUME}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def record(cfg: Config) -> dict[str, Any]:
    """What a checkpoint stores of the config: its fields and the hash of their identity."""
    return {"fields": config_fields(cfg), "hash": fingerprint(identity(cfg))}


def changes(old: dict[str, Any], new: dict[str, Any], keys=None) -> list[str]:
    """``key (old → new)`` for each field that differs (among ``keys``, if given)."""
    keys = [k for k in {**old, **new} if keys is None or k in keys]
    missing = "(not set)"
    return [
        f"{k} ({old.get(k, missing)!r} → {new.get(k, missing)!r})"
        for k in keys
        if old.get(k, missing) != new.get(k, missing)
    ]


def check_overrides(stored: Config, wanted: Config, step: int) -> None:
    """Refuses a resume whose config differs from the stored one outside ``SAFE_ON_RESUME``,
    or that would end before the step the run has reached."""
    refused = changes(identity(stored), identity(wanted))
    if refused:
        raise ConfigError(
            "--resume continues the same run, so it cannot change "
            + ", ".join(refused)
            + f"; it may change {', '.join(SAFE_ON_RESUME)}. Start a new run for the others"
        )
    if wanted.optim.steps < step:
        raise ConfigError(
            f"optim.steps = {wanted.optim.steps} ends before step {step}, which the run has "
            "already reached; give a larger optim.steps"
        )


def _check_record(path: str, meta: dict, cfg: Config) -> None:
    saved = meta.get("config")
    if not isinstance(saved, dict) or "hash" not in saved:
        return  # written before checkpoints recorded their config: the structure check remains
    if saved["hash"] == fingerprint(identity(cfg)):
        return
    differ = changes(saved.get("fields", {}), config_fields(cfg))
    differ = [d for d in differ if d.split(" ", 1)[0] not in SAFE_ON_RESUME]
    raise CheckpointError(
        f"{path} was written by a run with another config: "
        + (", ".join(differ) if differ else "the recorded hash differs")
        + " (checkpoint → config.toml). Was config.toml edited? Restore those fields to "
        "resume, or start a new run"
    )


def load_latest(folder: str, template: Any, cfg: Config) -> tuple[Any, str | None, list[str]]:
    """The newest intact checkpoint in ``folder`` read into ``template``.

    Returns ``(state, path, notes)``: ``path`` is None when there is no checkpoint (the state
    is ``template``); ``notes`` say which damaged checkpoints were passed over (they are
    renamed ``….corrupt``, kept for inspection, never deleted).

    Raises:
      CheckpointError: when the newest intact checkpoint belongs to another config, or every
        checkpoint is damaged.
    """
    steps = list_checkpoints(folder)
    notes, damaged = [], []
    for step in reversed(steps):
        path = checkpoint_path(folder, step)
        try:
            meta, _ = read_checkpoint(path)
            _check_record(path, meta, cfg)
            state, _ = load_checkpoint(path, template)
            if not meta["step"] == int(state.step) == step:
                raise CorruptCheckpointError(
                    f"{path}: corrupt checkpoint (its name says step {step}, its metadata "
                    f"{meta['step']}, its state {int(state.step)})"
                )
        except CorruptCheckpointError as err:
            damaged.append((path, str(err)))
            continue
        for bad, reason in damaged:
            os.replace(bad, bad + ".corrupt")
            notes.append(
                f"{reason}; it was renamed {os.path.basename(bad)}.corrupt and the run resumes "
                f"from the intact {path} (step {step})"
            )
        return state, path, notes
    if damaged:
        raise CheckpointError(
            "no intact checkpoint to resume from: "
            + "; ".join(reason for _, reason in damaged)
            + ". Start a new run"
        )
    return template, None, notes


def truncate_metrics(path: str, step: int) -> None:
    """Keeps the metric lines up to ``step`` (those written after the checkpoint are written
    again by the resumed run). A line torn by a kill or a full disk past that point is
    dropped; a damaged line before it is an error naming the file and the line."""
    if not os.path.exists(path):
        return
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise RunFolderError(errno.EINVAL, "not a regular file (metrics.jsonl must be one)", path)
    kept, torn = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row_step = row["step"]
                if not isinstance(row_step, int):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                torn = torn or number  # past the checkpoint only if no kept line follows
                continue
            if row_step > step:
                continue
            if torn is not None:
                raise ValueError(
                    f"{path}, line {torn}: not a metrics row, and it comes before step {row_step}, "
                    "which the run keeps; remove or repair the line to resume"
                )
            kept.append(line if line.endswith("\n") else line + "\n")
    write_text(path, "".join(kept))


def warn(notes: list[str]) -> None:
    for note in notes:
        print(f"handgrad train: note: {note}", file=sys.stderr, flush=True)
