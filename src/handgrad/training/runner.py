"""``handgrad train``: a config-driven run in compiled chunks, with metrics and checkpoints.

The run is a sequence of chunks; each chunk is one ``jit``-compiled ``lax.scan`` over
``train.chunk`` steps (``handgrad.optim.run_steps``). Between chunks, on the host: metrics to
``metrics.jsonl``, the progress bar, checkpoints every ``checkpoint.every`` steps,
the hand-vs-autodiff check every ``train.verify_every`` steps, and the divergence check.
Chunk boundaries always fall on checkpoint steps, so a resumed run replays exactly the
chunks of an uninterrupted one and ends with exactly the same parameters.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.check.gradcheck import relative_error
from handgrad.check.shapes import leaf_names
from handgrad.optim.loop import RunState, init_run, run_steps
from handgrad.training.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from handgrad.training.config import Config, dump_config, load_config
from handgrad.training.metrics import plot_metrics
from handgrad.training.setup import Setup, build


class TrainingError(RuntimeError):
    """The run cannot go on: divergence, or hand gradients that disagree with autodiff."""


def _leaf_names(tree: Any) -> list[str]:
    """Leaf names as the gradient checker prints them (W1, 0.W, …), "w" for a bare array."""
    return ["w" if n == "params" else n for n in leaf_names(tree)]


def save_params(path: str, params: Any) -> None:
    """The parameters as ``.npz`` with keys named by their pytree paths (W1, W2, 0.W, …)."""
    names = _leaf_names(params)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **{n: np.asarray(x) for n, x in zip(names, jax.tree_util.tree_leaves(params))})
    os.replace(tmp, path)


def load_params(path: str, template: Any) -> Any:
    """Reads ``save_params`` output back into the structure of ``template``."""
    names = _leaf_names(template)
    with np.load(path) as f:
        leaves = [jnp.asarray(f[n]) for n in names]
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


def make_gradient_check(s: Setup):
    """A jitted function: params → (the run's gradients, autodiff's) on the training set."""

    @jax.jit
    def both(params):
        return s.value_and_grad(params, s.X_train, s.Y_train)[1], jax.grad(s.objective)(
            params, s.X_train, s.Y_train
        )

    return both


def _check_hand_gradients(both, params: Any, step: int, tol: float) -> None:
    g, g_ref = both(params)
    for name, a, b in zip(
        _leaf_names(params), jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g_ref)
    ):
        err = relative_error(a, b)
        if not err <= tol:
            raise TrainingError(
                f"at step {step} the hand gradient of leaf {name} disagrees with autodiff: "
                f"relative error {err:.3e} > {tol:.0e}"
            )


def _boundaries(step: int, cfg: Config) -> int:
    """The next chunk boundary after ``step``."""
    stops = [
        step + cfg.train.chunk,
        cfg.optim.steps,
        (step // cfg.checkpoint.every + 1) * cfg.checkpoint.every,
    ]
    if cfg.train.verify_every:
        stops.append((step // cfg.train.verify_every + 1) * cfg.train.verify_every)
    return min(stops)


def _truncate_metrics(path: str, step: int) -> None:
    """Drops metric lines past ``step`` (written after the checkpoint a run resumes from)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        kept = [line for line in f if line.strip() and json.loads(line)["step"] <= step]
    with open(path + ".tmp", "w") as f:
        f.writelines(kept)
    os.replace(path + ".tmp", path)


def train(cfg: Config, run_dir: str, *, resume: bool = False, progress: bool = True) -> dict:
    """Trains as ``cfg`` says, writing everything into ``run_dir``; returns the summary.

    Raises:
      ConfigError, DataError, CheckpointError: bad input, named.
      TrainingError: divergence (NaN/Inf loss) or a hand gradient that disagrees.
      KeyboardInterrupt: after writing a checkpoint of the last finished chunk.
    """
    s = build(cfg)
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    metrics_path = os.path.join(run_dir, "metrics.jsonl")
    state = init_run(s.params, s.rule, s.sampler, jax.random.key(cfg.seed + 1))
    last_good = None  # the newest checkpoint on disk, named if the run diverges
    if resume:
        steps = list_checkpoints(ckpt_dir)
        if steps:
            last_good = checkpoint_path(ckpt_dir, steps[-1])
            state, _ = load_checkpoint(last_good, state)
        # metrics written after the checkpoint (or all, with none) are written again
        _truncate_metrics(metrics_path, int(state.step) if steps else -1)
    else:
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "config.toml"), "w") as f:
            f.write(dump_config(cfg))
        open(metrics_path, "w").close()
    evaluate, gradient_check = make_evaluate(s), make_gradient_check(s)
    tol = 1e-10 if cfg.train.dtype == "float64" else 1e-4
    step, total = int(state.step), cfg.optim.steps
    bar = _progress(total, step) if progress else None
    start = time.perf_counter()

    def record_metrics(params, extra):
        metrics = {k: float(v) for k, v in evaluate(params).items()}
        record = {
            "step": step,
            **metrics,
            **extra,
            "lr": cfg.optim.lr,
            "wall_time": time.perf_counter() - start,
        }
        with open(metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        return record

    if step == 0:
        record_metrics(state.params, {})
    try:
        while step < total:
            stop = _boundaries(step, cfg)
            new, trajectory = run_steps(
                s.value_and_grad, s.rule, s.sampler, state, s.X_train, s.Y_train,
                steps=stop - step, takes_key=s.takes_key,
            )  # fmt: skip
            losses = np.asarray(trajectory.losses)
            if not np.all(np.isfinite(losses)):
                bad = int(np.argmin(np.isfinite(losses)))
                finite = losses[:bad]
                last = (f"the last finite loss was {finite[-1]:.6g} at step {step + bad}" if bad
                        else f"the loss was already {losses[0]} at the chunk's first step")  # fmt: skip
                kept = f"; the last good checkpoint is {last_good}" if last_good else ""
                raise TrainingError(
                    f"training diverged: the loss became {losses[bad]} at step {step + bad + 1}; "
                    f"{last}{kept}. Try a smaller optim.lr (now {cfg.optim.lr})."
                )
            state, step = new, stop
            if (
                cfg.train.verify_every
                and step % cfg.train.verify_every == 0
                and cfg.train.grad == "hand"
            ):
                _check_hand_gradients(gradient_check, state.params, step, tol)
            record = record_metrics(state.params, {"batch_loss": float(losses.mean())})
            if step % cfg.checkpoint.every == 0 or step == total:
                last_good = save_checkpoint(ckpt_dir, state, step)
            if bar is not None:
                bar.set_postfix(
                    {k: f"{record[k]:.4g}" for k in ("train_loss", "test_accuracy") if k in record},
                    refresh=False,
                )
                bar.update(stop - bar.n)
    except KeyboardInterrupt:
        path = save_checkpoint(ckpt_dir, state, step)
        if bar is not None:
            bar.close()
        print(f"\ninterrupted: saved a checkpoint at step {step} ({path}); resume with "
              f"handgrad train --resume {run_dir}", flush=True)  # fmt: skip
        raise
    if bar is not None:
        bar.close()
    return finish(cfg, s, state, run_dir, evaluate)


def _progress(total: int, initial: int):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc="train", unit="step", dynamic_ncols=True)


def finish(cfg: Config, s: Setup, state: RunState, run_dir: str, evaluate) -> dict:
    """Final parameters, summary.json and the loss/accuracy plot."""
    save_params(os.path.join(run_dir, "params.npz"), state.params)
    metrics = {k: float(v) for k, v in evaluate(state.params).items()}
    summary = {"final_step": int(state.step), **metrics}
    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    plot_metrics(os.path.join(run_dir, "metrics.jsonl"), os.path.join(run_dir, "metrics.png"))
    return summary


def evaluate_run(run_dir: str, cfg: Config | None = None) -> dict:
    """The metrics of a finished run's ``params.npz`` (``handgrad eval``).

    ``cfg`` is the run's ``config.toml``, read here when not given.
    """
    if cfg is None:
        cfg = load_config(os.path.join(run_dir, "config.toml"))
    s = build(cfg)
    path = os.path.join(run_dir, "params.npz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file (has the run finished?)")
    params = load_params(path, s.params)
    return {k: float(v) for k, v in make_evaluate(s)(params).items()}
