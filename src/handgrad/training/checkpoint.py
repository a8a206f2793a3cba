"""Checkpoints that survive a kill: a run's whole state, written atomically.

A checkpoint holds every leaf of the ``RunState`` — parameters, optimiser state, the
samplers' PRNG keys and counts (the data-order position), the step — in an ``.npz``,
with a description of the structure to check against on load. It is written to a
temporary file in the same folder, flushed to disk, then moved into place with
``os.replace``, so a kill at any moment leaves either the old checkpoint or the new one,
never half of one. A checkpoint also records the run's resolved config (and its hash),
so that a resume can name what changed since; and nothing non-finite is ever saved.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.training.run_folder import check_folder, make_folder, write_atomic

PATTERN = re.compile(r"^ckpt-(\d{8})\.npz$")


class CheckpointError(ValueError):
    """A checkpoint is corrupt or does not match the run it should resume."""


class CorruptCheckpointError(CheckpointError):
    """A checkpoint file is damaged: unreadable, truncated, or holding other arrays than it says."""


def _is_key(leaf) -> bool:
    return hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _describe(leaves) -> list[str]:
    return [f"{'key' if _is_key(x) else jnp.asarray(x).dtype}{tuple(jnp.shape(x))}" for x in leaves]


def checkpoint_path(folder: str, step: int) -> str:
    return os.path.join(folder, f"ckpt-{step:08d}.npz")


def save_checkpoint(
    folder: str, state: Any, step: int, keep: int = 3, *, config: dict | None = None
) -> str:
    """Writes ``state`` as the checkpoint of ``step`` atomically; keeps the last ``keep``.

    ``config`` (``{"optim.lr": 0.1, …}``, with its ``"hash"``) is recorded beside the state.

    Raises:
      ValueError: if a floating-point leaf holds NaN or Inf (nothing is written).
      OSError: naming the file, when it cannot be written (no ``.tmp`` is left behind).
    """
    leaves, treedef = jax.tree_util.tree_flatten(state)
    arrays = {
        f"leaf_{i}": np.asarray(jax.random.key_data(x) if _is_key(x) else x)
        for i, x in enumerate(leaves)
    }
    bad = [i for i, a in arrays.items() if a.dtype.kind in "fc" and not np.all(np.isfinite(a))]
    if bad:
        raise ValueError(f"refusing to checkpoint step {step}: {', '.join(bad)} hold NaN or Inf")
    meta = {"step": step, "treedef": str(treedef), "leaves": _describe(leaves)}
    if config is not None:
        meta["config"] = config
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    make_folder(folder, "the checkpoint folder")
    path = checkpoint_path(folder, step)
    write_atomic(path, lambda f: np.savez(f, **arrays))
    for old in sorted(list_checkpoints(folder))[:-keep]:
        os.remove(checkpoint_path(folder, old))
    return path


def list_checkpoints(folder: str) -> list[int]:
    """The steps that have a checkpoint in ``folder``, ascending.

    Raises:
      RunFolderError: when ``folder`` is a file.
    """
    check_folder(folder, "the checkpoint folder")
    if not os.path.isdir(folder):
        return []
    return sorted(int(m.group(1)) for name in os.listdir(folder) if (m := PATTERN.match(name)))


def read_npz(path: str, error: type[CheckpointError], what: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, read without unpickling (``allow_pickle=False``).

    Raises:
      error: ``PATH: what (the reason)`` for a damaged file, which fails anywhere in zipfile
        or numpy's header parser. A file-system fault (a folder, no permission) is re-raised
        as the ``OSError`` it is, for the caller to name.
    """
    try:
        with open(path, "rb") as file, np.load(file) as f:
            return {name: f[name] for name in f.files}
    except Exception as err:
        if isinstance(err, OSError) and err.errno is not None:
            raise
        raise error(f"{path}: {what} ({type(err).__name__}: {err})") from None


def read_checkpoint(path: str) -> tuple[dict, list[np.ndarray]]:
    """The metadata and the stored arrays of a checkpoint, checked to be whole and finite.

    Raises:
      CorruptCheckpointError: naming the file and what is wrong with it.
    """
    arrays = read_npz(path, CorruptCheckpointError, "corrupt checkpoint")
    try:
        meta = json.loads(bytes(arrays.pop("meta")).decode())
        stored = [arrays.pop(f"leaf_{i}") for i in range(len(meta["leaves"]))]
    except Exception as err:  # no metadata, metadata that is not JSON, a leaf missing
        raise CorruptCheckpointError(
            f"{path}: corrupt checkpoint ({type(err).__name__}: {err})"
        ) from None
    extra = sorted(arrays)
    if extra:
        raise CorruptCheckpointError(
            f"{path}: corrupt checkpoint (arrays it does not describe: {extra})"
        )
    if not isinstance(meta, dict) or not isinstance(meta.get("step"), int):
        raise CorruptCheckpointError(f"{path}: corrupt checkpoint (its metadata has no step)")
    for i, a in enumerate(stored):
        if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
            raise CorruptCheckpointError(f"{path}: leaf_{i} holds NaN or Inf")
    return meta, stored


def load_checkpoint(path: str, template: Any) -> tuple[Any, int]:
    """Reads a checkpoint into the structure of ``template`` (a freshly built state).

    Raises:
      CorruptCheckpointError: if the file is damaged.
      CheckpointError: if its structure, shapes or dtypes differ from the template's
        (a checkpoint of another config).
    """
    meta, stored = read_checkpoint(path)
    leaves, treedef = jax.tree_util.tree_flatten(template)
    expected = _describe(leaves)
    if meta.get("treedef") != str(treedef) or meta.get("leaves") != expected:
        raise CheckpointError(
            f"{path}: checkpoint does not match this run's config (it holds {meta.get('leaves')}, "
            f"the config builds {expected}); resume it with the config it was written with"
        )
    restored = []
    for i, (a, x) in enumerate(zip(stored, leaves)):
        want = jax.random.key_data(x) if _is_key(x) else x
        if a.shape != want.shape or a.dtype != want.dtype:
            raise CorruptCheckpointError(
                f"{path}: corrupt checkpoint (leaf_{i} is {a.dtype}{a.shape}, the run needs "
                f"{want.dtype}{want.shape})"
            )
        restored.append(
            jax.random.wrap_key_data(jnp.asarray(a), impl=jax.random.key_impl(x))
            if _is_key(x)
            else jnp.asarray(a, x.dtype)
        )
    return jax.tree_util.tree_unflatten(treedef, restored), int(meta["step"])
