"""A run's parameters on disk and its metrics: ``params.npz`` written and read back checked,
the jitted evaluation of J, accuracies and ‖∂J/∂w‖, and ``handgrad eval``."""

from __future__ import annotations

import errno
import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.check.shapes import leaf_names
from handgrad.training.checkpoint import CheckpointError, read_npz
from handgrad.training.config import Config, load_config
from handgrad.training.run_folder import RunFolderError, run_config, write_atomic
from handgrad.training.setup import Setup, build


def param_names(tree: Any) -> list[str]:
    """Leaf names as the gradient checker prints them (W1, 0.W, …), "w" for a bare array."""
    return ["w" if n == "params" else n for n in leaf_names(tree)]


def save_params(path: str, params: Any) -> None:
    """The parameters as ``.npz`` with keys named by their pytree paths (W1, W2, 0.W, …),
    written atomically."""
    arrays = {
        n: np.asarray(x) for n, x in zip(param_names(params), jax.tree_util.tree_leaves(params))
    }
    write_atomic(path, lambda f: np.savez(f, **arrays))


def load_params(path: str, template: Any) -> Any:
    """Reads ``save_params`` output back into the structure of ``template``.

    Raises:
      CheckpointError: naming the file, when it is damaged, misses a leaf, or holds a leaf of
        another shape or dtype kind than the template, or NaN/Inf.
    """
    stored = read_npz(path, CheckpointError, "not a readable .npz")
    leaves = []
    for name, x in zip(param_names(template), jax.tree_util.tree_leaves(template)):
        if name not in stored:
            raise CheckpointError(
                f"{path}: no parameter {name!r} (it holds {sorted(stored)}; the config builds "
                f"{param_names(template)})"
            )
        a = stored[name]
        if a.shape != x.shape or a.dtype.kind != "f":
            raise CheckpointError(
                f"{path}: parameter {name} is {a.dtype}{a.shape}, the config builds "
                f"{x.dtype}{x.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise CheckpointError(f"{path}: parameter {name} holds NaN or Inf")
        leaves.append(jnp.asarray(a, x.dtype))
    extra = sorted(set(stored) - set(param_names(template)))
    if extra:
        raise CheckpointError(
            f"{path}: holds parameters the config does not build: {extra} (it builds "
            f"{param_names(template)})"
        )
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(template), leaves)


def make_evaluate(s: Setup):
    """A jitted function: params → train loss, accuracies or test loss, gradient norm."""
    classification = s.data.num_classes is not None

    @jax.jit
    def evaluate(params):
        J, grads = jax.value_and_grad(s.objective)(params, s.X_train, s.Y_train)
        metrics = {
            "train_loss": J,
            "test_loss": s.objective(params, s.X_test, s.Y_test),
            "grad_norm": jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(grads))),
        }
        if classification:
            for split, X, Y in (("train", s.X_train, s.Y_train), ("test", s.X_test, s.Y_test)):
                predicted = jnp.argmax(s.predict(X, params), axis=-1).astype(Y.dtype)
                metrics[f"{split}_accuracy"] = jnp.mean(predicted == Y)
        return metrics

    return evaluate


def evaluate_run(run_dir: str, cfg: Config | None = None) -> dict:
    """The metrics of a finished run's ``params.npz`` (``handgrad eval``).

    ``cfg`` is the run's ``config.toml``, read here when not given.

    Raises:
      RunFolderError: when ``run_dir`` is not a run folder, or the run has not finished.
      CheckpointError: when ``params.npz`` is damaged or does not fit the config.
    """
    if cfg is None:
        cfg = load_config(run_config(run_dir))
    path = os.path.join(run_dir, "params.npz")
    if not os.path.lexists(path):
        hint = f"resume it with handgrad train --resume {run_dir}"
        raise RunFolderError(errno.ENOENT, f"no such file: the run has not finished ({hint})", path)
    s = build(cfg)
    params = load_params(path, s.params)
    return {k: float(v) for k, v in make_evaluate(s)(params).items()}
