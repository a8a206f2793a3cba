"""``handgrad train``: a config-driven run in compiled chunks, with metrics and checkpoints.

The run is a sequence of chunks; each chunk is one call of a ``jit``-compiled loop with room
for ``train.chunk`` steps (``handgrad.optim.run_steps(length=…)``), compiled once for the run:
a shorter chunk takes fewer of its steps. Between chunks, on the host: the
divergence check (every loss, then every leaf of the state, finite), metrics to
``metrics.jsonl``, the progress bar, the hand-vs-autodiff check every ``train.verify_every``
steps, checkpoints every ``checkpoint.every`` steps, and Ctrl-C. Chunk boundaries always
fall on checkpoint steps, so a resumed run replays exactly the chunks of an uninterrupted
one and ends with exactly the same parameters.

The run folder is claimed for the whole run (one run per folder, ``run_folder.claim``) and
only created once the run is set up, so a config or data error leaves nothing behind.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time

import jax
import numpy as np

from handgrad._interrupt import (
    Interrupted,
    deferred_sigint,
    raise_if_interrupted,
    set_saved_status,
)
from handgrad.optim.loop import RunState, init_run, run_steps
from handgrad.training.checkpoint import checkpoint_path, list_checkpoints, save_checkpoint
from handgrad.training.config import Config, config_fields, dump_config, load_config
from handgrad.training.evaluation import evaluate_run, make_evaluate, save_params
from handgrad.training.health import (
    TrainingError,
    check_hand_gradients,
    first_non_finite,
    make_gradient_check,
)
from handgrad.training.metrics import plot_metrics
from handgrad.training.resume import check_overrides, load_latest, record, truncate_metrics, warn
from handgrad.training.run_folder import (
    RunFolderError,
    append_line,
    claim,
    make_folder,
    run_config,
    write_text,
)
from handgrad.training.setup import Setup, build

__all__ = ["TrainingError", "evaluate_run", "finish", "train"]


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


def _diverged(cfg: Config, what: str, last: str, last_good: str | None) -> TrainingError:
    kept = f"; the last good checkpoint is {last_good}" if last_good else ""
    lam = f", model.lam = {cfg.model.lam}" if cfg.model.name != "linear" and cfg.model.lam else ""
    return TrainingError(
        f"training diverged: {what}; {last}{kept}. The data and the hyperparameters are "
        f"finite, so the steps grew too large: start a new run with a smaller optim.lr "
        f"(now {cfg.optim.lr}{lam})"
    )


def _resume_hint(run_dir: str) -> str:
    return f"handgrad train --resume {run_dir}"


def train(cfg: Config, run_dir: str, *, resume: bool = False, progress: bool = True) -> dict:
    """Trains as ``cfg`` says, writing everything into ``run_dir``; returns the summary.

    With ``resume``, ``run_dir`` holds a run: it continues from its newest intact checkpoint.
    ``cfg`` is then the run's own ``config.toml``, where only the fields in
    ``resume.SAFE_ON_RESUME`` may differ (``optim.steps`` to extend a run, …).

    Ctrl-C (SIGINT) is deferred to the end of the running chunk: a checkpoint is written
    there, and ``Interrupted`` (a ``KeyboardInterrupt``) says where.

    Raises:
      ConfigError, DataError, CheckpointError: bad input, named.
      RunFolderError, OSError: the folder is taken, or a file cannot be written (named).
      TrainingError: divergence (NaN/Inf) or a hand gradient that disagrees.
      Interrupted: after Ctrl-C, once what can be saved is saved.
    """
    with deferred_sigint():
        s = build(cfg)
        raise_if_interrupted("interrupted during setup: nothing was saved")
        state = init_run(s.params, s.rule, s.sampler, jax.random.key(cfg.seed + 1))
        if resume:
            run_config(run_dir)  # a run folder: it has its config.toml
            created = False
        else:
            created = make_folder(run_dir, "the run folder")

        def remove_if_empty():  # a new run that saved nothing leaves nothing behind
            if created and _holds_no_run(run_dir):
                shutil.rmtree(run_dir, ignore_errors=True)

        set_saved_status("nothing was saved", remove_if_empty)
        try:
            with claim(run_dir):
                return _run(cfg, s, state, run_dir, resume, progress)
        except BaseException:
            remove_if_empty()
            raise


def _holds_no_run(run_dir: str) -> bool:
    """Whether ``run_dir`` holds no checkpoint (at most a config, metrics, a lock, a .tmp)."""
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    try:
        started = set(os.listdir(run_dir)) <= {
            ".lock",
            "config.toml",
            "metrics.jsonl",
            "checkpoints",
        }
        return started and not (os.path.isdir(ckpt_dir) and list_checkpoints(ckpt_dir))
    except OSError:
        return False


def _start(cfg: Config, run_dir: str, metrics_path: str) -> None:
    if os.path.lexists(os.path.join(run_dir, "config.toml")):
        raise RunFolderError(
            errno.EEXIST,
            f"already holds a run: resume it with {_resume_hint(run_dir)}, or choose another --out",
            run_dir,
        )
    write_text(os.path.join(run_dir, "config.toml"), dump_config(cfg))
    write_text(metrics_path, "")


def _continue(cfg: Config, s: Setup, state, run_dir: str, ckpt_dir: str, metrics_path: str):
    stored = load_config(os.path.join(run_dir, "config.toml"))
    check_overrides(stored, cfg, 0)
    state, path, notes = load_latest(ckpt_dir, state, stored)
    warn(notes)
    check_overrides(stored, cfg, int(state.step))
    if config_fields(stored) != config_fields(cfg):
        write_text(os.path.join(run_dir, "config.toml"), dump_config(cfg))
    # metrics written after the checkpoint (or all, with none) are written again
    truncate_metrics(metrics_path, int(state.step) if path else -1)
    if path is None:
        warn([f"{ckpt_dir} holds no checkpoint: the run starts again from step 0"])
    if int(state.step) == cfg.optim.steps and os.path.exists(os.path.join(run_dir, "summary.json")):
        warn([f"the run had already finished at step {cfg.optim.steps}; to extend it, resume with "
              f"--set optim.steps=N for a larger N"])  # fmt: skip
    return state, path


def _run(cfg: Config, s: Setup, state, run_dir: str, resume: bool, progress: bool) -> dict:
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    metrics_path = os.path.join(run_dir, "metrics.jsonl")
    saved = record(cfg)
    if resume:
        state, last_good = _continue(cfg, s, state, run_dir, ckpt_dir, metrics_path)
    else:
        _start(cfg, run_dir, metrics_path)
        last_good = None
    evaluate, gradient_check = make_evaluate(s), make_gradient_check(s)
    step, total = int(state.step), cfg.optim.steps
    start = time.perf_counter()

    def checkpoint(step):
        nonlocal last_good
        last_good = save_checkpoint(ckpt_dir, state, step, config=saved)
        set_saved_status(
            f"the last checkpoint is {last_good} (step {step}); resume with {_resume_hint(run_dir)}"
        )  # and nothing is removed any more

    def record_metrics(params, extra):
        metrics = {k: float(v) for k, v in evaluate(params).items()}
        bad = {k: v for k, v in metrics.items() if not np.isfinite(v)}
        if bad:
            raise _diverged(cfg, f"at step {step} the metrics {bad} are not finite",
                            "the parameters themselves are finite", last_good)  # fmt: skip
        row = {"step": step, **metrics, **extra, "lr": cfg.optim.lr,
               "wall_time": time.perf_counter() - start}  # fmt: skip
        append_line(metrics_path, json.dumps(row))
        return row

    if last_good is None:  # a new run (or one killed before its first checkpoint)
        if not _has_step(metrics_path, step):
            record_metrics(state.params, {})
        checkpoint(step)
    # one compiled program for every chunk, the short ones too, and for a resumed run
    length = min(cfg.train.chunk, cfg.optim.steps)
    bar = _progress(total, step) if progress else None
    try:
        while step < total:
            raise_if_interrupted("")
            stop = _boundaries(step, cfg)
            new, trajectory = run_steps(
                s.value_and_grad, s.rule, s.sampler, state, s.X_train, s.Y_train,
                steps=stop - step, takes_key=s.takes_key, length=length,
            )  # fmt: skip
            losses = np.asarray(trajectory.losses)
            if not np.all(np.isfinite(losses)):
                bad = int(np.argmin(np.isfinite(losses)))
                last = (f"the last finite loss was {losses[bad - 1]:.6g} at step {step + bad}" if bad
                        else f"the loss was already {losses[0]} at the chunk's first step")  # fmt: skip
                raise _diverged(cfg, f"the loss became {losses[bad]} at step {step + bad + 1}",
                                last, last_good)  # fmt: skip
            broken = first_non_finite(new)
            if broken is not None:
                raise _diverged(cfg, f"the {broken} became NaN or Inf at step {stop}",
                                f"the last loss was {losses[-1]:.6g}", last_good)  # fmt: skip
            state, step = new, stop
            if cfg.train.verify_every and step % cfg.train.verify_every == 0:
                check_hand_gradients(gradient_check, state.params, step)
            row = record_metrics(state.params, {"batch_loss": float(losses.mean())})
            if step % cfg.checkpoint.every == 0 or step == total:
                checkpoint(step)
            if bar is not None:
                bar.set_postfix(
                    {k: f"{row[k]:.4g}" for k in ("train_loss", "test_accuracy") if k in row},
                    refresh=False,
                )
                bar.update(stop - bar.n)
    except Interrupted:
        if last_good != checkpoint_path(ckpt_dir, step):  # not saved at this step yet
            checkpoint(step)
        raise Interrupted(
            f"interrupted: saved a checkpoint at step {step} ({last_good}); resume with "
            f"{_resume_hint(run_dir)}"
        ) from None
    finally:
        if bar is not None:
            bar.close()
    summary = finish(cfg, s, state, run_dir, evaluate)
    raise_if_interrupted(f"interrupted after the run finished: everything is saved in {run_dir}")
    return summary


def _has_step(metrics_path: str, step: int) -> bool:
    with open(metrics_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                if json.loads(line).get("step") == step:
                    return True
            except (ValueError, AttributeError):
                continue
    return False


def _progress(total: int, initial: int):
    from tqdm import tqdm

    # disable=None: drawn only on a terminal, so a piped or logged run gets no \r frames
    return tqdm(
        total=total, initial=initial, desc="train", unit="step", dynamic_ncols=True, disable=None
    )


def finish(cfg: Config, s: Setup, state: RunState, run_dir: str, evaluate) -> dict:
    """Final parameters, summary.json and the loss/accuracy plot, each written atomically."""
    metrics = {k: float(v) for k, v in evaluate(state.params).items()}
    if not all(np.isfinite(v) for v in metrics.values()):
        raise TrainingError(f"the final metrics are not finite ({metrics}); nothing was reported")
    save_params(os.path.join(run_dir, "params.npz"), state.params)
    summary = {"final_step": int(state.step), **metrics}
    write_text(os.path.join(run_dir, "summary.json"), json.dumps(summary, indent=1))
    png = os.path.join(run_dir, "metrics.png")
    plot_metrics(os.path.join(run_dir, "metrics.jsonl"), png)
    return summary
