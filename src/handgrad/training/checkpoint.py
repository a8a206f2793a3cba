"""Checkpoints that survive a kill: a run's whole state, written atomically.

A checkpoint holds every leaf of the ``RunState`` — parameters, optimiser state, the
samplers' PRNG keys and counts (the data-order position), the step — in an ``.npz``,
with a description of the structure to check against on load. It is written to a
temporary file in the same folder, flushed to disk, then moved into place with
``os.replace``, so a kill at any moment leaves either the old checkpoint or the new one,
never half of one.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

PATTERN = re.compile(r"^ckpt-(\d{8})\.npz$")


class CheckpointError(ValueError):
    """A checkpoint is corrupt or does not match the run it should resume."""


def _is_key(leaf) -> bool:
    return hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)


def _describe(leaves) -> list[str]:
    return [f"{'key' if _is_key(x) else jnp.asarray(x).dtype}{tuple(jnp.shape(x))}" for x in leaves]


def checkpoint_path(folder: str, step: int) -> str:
    return os.path.join(folder, f"ckpt-{step:08d}.npz")


def save_checkpoint(folder: str, state: Any, step: int, keep: int = 3) -> str:
    """Writes ``state`` as the checkpoint of ``step`` atomically; keeps the last ``keep``."""
    os.makedirs(folder, exist_ok=True)
    leaves, treedef = jax.tree_util.tree_flatten(state)
    arrays = {
        f"leaf_{i}": np.asarray(jax.random.key_data(x) if _is_key(x) else x)
        for i, x in enumerate(leaves)
    }
    meta = {"step": step, "treedef": str(treedef), "leaves": _describe(leaves)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    path = checkpoint_path(folder, step)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for old in sorted(list_checkpoints(folder))[:-keep]:
        os.remove(checkpoint_path(folder, old))
    return path


def list_checkpoints(folder: str) -> list[int]:
    """The steps that have a checkpoint in ``folder``, ascending."""
    if not os.path.isdir(folder):
        return []
    return sorted(int(m.group(1)) for name in os.listdir(folder) if (m := PATTERN.match(name)))


def load_checkpoint(path: str, template: Any) -> tuple[Any, int]:
    """Reads a checkpoint into the structure of ``template`` (a freshly built state).

    Raises:
      CheckpointError: if the file is corrupt, or its structure, shapes or dtypes differ
        from the template's (a checkpoint of another config).
    """
    try:
        with np.load(path) as f:
            meta = json.loads(bytes(f["meta"]).decode())
            stored = [f[f"leaf_{i}"] for i in range(len(meta["leaves"]))]
    except (
        Exception
    ) as err:  # a damaged .npz can fail anywhere in zipfile, numpy's header parser or json
        raise CheckpointError(f"{path}: corrupt checkpoint ({type(err).__name__}: {err})") from None
    leaves, treedef = jax.tree_util.tree_flatten(template)
    expected = _describe(leaves)
    if meta.get("treedef") != str(treedef) or meta.get("leaves") != expected:
        raise CheckpointError(
            f"{path}: checkpoint does not match this run's config (it holds {meta.get('leaves')}, "
            f"the config builds {expected}); resume it with the config it was written with"
        )
    restored = [
        jax.random.wrap_key_data(jnp.asarray(a), impl=jax.random.key_impl(x))
        if _is_key(x)
        else jnp.asarray(a, x.dtype)
        for a, x in zip(stored, leaves)
    ]
    return jax.tree_util.tree_unflatten(treedef, restored), int(meta["step"])
