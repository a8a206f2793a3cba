"""d2l's MLP checked formula by formula: ∂J/∂o, ∂J/∂W⁽²⁾, ∂J/∂h, ∂J/∂z, ∂J/∂W⁽¹⁾, ∂J/∂b⁽¹⁾.

The references are one ``jax.vjp`` of J written with a zero perturbation at z, h and o, so the
cotangent of each is ∂J/∂z, ∂J/∂h, ∂J/∂o (``handgrad.check.localise`` explains the walk); the
catalogue of known mistakes per node is built from those correct upstream values.

Conventions: a single sample x of shape (d,) is checked against the text's column-vector rules
(∂J/∂h = W⁽²⁾ᵀ ∂J/∂o). A batch X of shape (P, d) holds one sample per row, so the code computes
each rule transposed row by row; the report then states the text's rule and, after it, the
batched one: ``W⁽²⁾ᵀ ∂J/∂o (rows: ∂J/∂O W⁽²⁾)``, capitals for the P stacked rows. A mistake is
shown in both forms too: a hand ∂J/∂h of ``dO @ W2.T`` is reported as ``W⁽²⁾ ∂J/∂o (rows:
∂J/∂O W⁽²⁾ᵀ)`` ("wrong transpose"): the text's ᵀ lost, which in row-major code is a ᵀ too many.

>>> import jax.numpy as jnp
>>> params = {"W1": jnp.array([[1.0, -1.0], [0.5, 2.0]]), "W2": jnp.array([[1.0, 2.0]])}
>>> X, Y = jnp.array([[1.0, 2.0], [-1.0, 0.5]]), jnp.array([[0.5], [1.0]])
>>> localise_mlp1(params, X, Y, lam=0.1, activation="tanh", loss="squared_error").passed
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_lam
from handgrad.backprop.d2l import (
    MLP1Backward,
    mlp1_backward,
    mlp1_backward_batch,
    mlp1_forward,
    mlp1_forward_batch,
)
from handgrad.check.localise import (
    RTOL,
    SIGN,
    LocaliseReport,
    as_float64,
    raise_on_mismatch,
    walk,
)
from handgrad.models.activations import get_activation
from handgrad.models.costs import get_cost
from handgrad.models.losses import l2_penalty
from handgrad.models.mlp1 import as_mlp1_inputs


@partial(jax.jit, static_argnames=("activation", "loss"))
def _mlp1_references(p, X, Y, lam, activation, loss):
    """(∂J/∂params, ∂J/∂Z, ∂J/∂H, ∂J/∂O) by one vjp of J with a zero perturbation at z, h, o,
    and what the catalogue builds on: Z, H and the data terms (∂J/∂O)ᵀH, (∂J/∂Z)ᵀX."""
    phi, C = get_activation(activation).phi, get_cost(loss).C

    def J(p, e_z, e_h, e_o):  # returns Z and H too: at ε = 0 they are the forward pass's
        Z = X @ p["W1"].T + (p["b1"][None, :] if "b1" in p else 0.0) + e_z
        H = phi(Z) + e_h
        O = H @ p["W2"].T + e_o
        return jnp.mean(jax.vmap(C)(Y, O)) + l2_penalty([p["W1"], p["W2"]], lam), (Z, H)

    P, h, q = X.shape[0], p["W1"].shape[0], p["W2"].shape[0]
    zeros = (jnp.zeros((P, h)), jnp.zeros((P, h)), jnp.zeros((P, q)))
    _, pullback, (Z, H) = jax.vjp(J, p, *zeros, has_aux=True)
    g, dZ, dH, dO = pullback(jnp.ones(()))
    return g, dZ, dH, dO, Z, H, dO.T @ H, dZ.T @ X


def _hand_nodes(back: Any, bias: bool) -> list:
    fields = ["dJ_do", "dJ_dW2", "dJ_dh", "dJ_dz", "dJ_dW1"] + (["dJ_db1"] if bias else [])
    missing = [f for f in fields if getattr(back, f, None) is None]
    if missing:
        raise ValueError(
            f"the hand backward returned no {', '.join(missing)}: return an MLP1Backward with "
            "every node (dJ_db1 too when params has b1)"
        )
    return [getattr(back, f) for f in fields]


def localise_mlp1(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    backward: Callable[..., MLP1Backward] | None = None,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
    rtol: float = RTOL,
    raise_on_failure: bool = False,
) -> LocaliseReport:
    """Checks d2l's backward formulas node by node: ∂J/∂o, ∂J/∂W⁽²⁾, ∂J/∂h, ∂J/∂z, ∂J/∂W⁽¹⁾, ∂J/∂b⁽¹⁾.

    Args:
      params, X, Y, lam, activation, loss: as for ``handgrad.mlp1_objective`` (a batch X of
        shape (P, d), one sample per row: each rule is reported in the text's column-vector
        form and, after it, its row form, ``W⁽²⁾ᵀ ∂J/∂o (rows: ∂J/∂O W⁽²⁾)``), or one sample x
        of shape (d,) with its label (the text's column-vector formulas, J = l(o, y) + s).
      backward: the hand backward under test, called as ``backward(params, cache, Y, lam=…,
        activation=…, loss=…)`` with the library's stored forward pass ``cache`` and returning
        an ``MLP1Backward``; default ``mlp1_backward_batch`` (``mlp1_backward`` for a sample).
      rtol: the relative tolerance of a node, > 0.
      raise_on_failure: raise ``DerivationError`` at the first wrong node.

    Returns:
      A ``LocaliseReport``; ``str(report)`` is a table with the verdict. A node of the wrong
      shape fails like any wrong value, its ``matches`` giving both shapes: a transpose is a
      slip in the derivation, not bad input.

    Raises:
      ValueError: for inputs ``mlp1_objective`` refuses, a ``backward`` that is not callable
        or that returns no value for a node.
      DerivationError: with ``raise_on_failure``, naming the first wrong node.
    """
    check_lam(lam)
    if backward is not None and not callable(backward):
        raise ValueError(f"backward must be a function, got {type(backward).__name__}")
    with jax.enable_x64(True):
        x = jnp.asarray(X)
        sample = x.ndim == 1
        p, Xb, Yb = as_mlp1_inputs(
            as_float64(params),
            as_float64(x[None] if sample else x),
            as_float64(jnp.asarray(Y)[None] if sample else Y),
            activation,
            loss,
        )
        if backward is None:
            backward = mlp1_backward if sample else mlp1_backward_batch
        forward = mlp1_forward if sample else mlp1_forward_batch
        cache = forward(p, Xb[0] if sample else Xb, activation=activation)
        back = backward(
            p, cache, Yb[0] if sample else Yb, lam=lam, activation=activation, loss=loss
        )
        hand = _hand_nodes(back, "b1" in p)
        refs = _mlp1_references(p, Xb, Yb, jnp.asarray(lam, jnp.float64), activation, loss)
        entries = _mlp1_entries(p, Xb.shape[0], refs, lam, activation, sample)
        report = walk([(n, r, hv, ref, c) for (n, r, ref, c), hv in zip(entries, hand)], rtol)
    return raise_on_mismatch(report) if raise_on_failure else report


def _mlp1_entries(p, P, refs, lam, activation, sample):
    """(name, rule, reference, candidates) per node, in the order the backward computes them."""
    phi, dphi = get_activation(activation)
    g, dZ, dH, dO, Z, H, prod2, prod1 = refs  # prod: the data terms of ∂J/∂W⁽²⁾ and ∂J/∂W⁽¹⁾
    W1, W2 = p["W1"], p["W2"]
    lam = jnp.asarray(lam, jnp.float64)
    row = (lambda a: a[0]) if sample else (lambda a: a)  # a sample's nodes are vectors

    # A formula is (the text's column-vector form, the batched form). A batch stores one sample
    # per row (X is P × d), so the code computes each of the text's rules transposed row by row:
    # the text's W⁽²⁾ᵀ ∂J/∂o is ∂J/∂O W⁽²⁾ there. Both are shown, the text's first; a single
    # sample is checked against the text's form alone.
    def show(text, rows):
        return text if sample else f"{text} (rows: {rows})"

    total = "" if sample else "Σ_p "  # a batch's weight gradient sums the samples' outer products
    rules = ("∂l/∂o" if sample else "1/P · ∂l/∂o", show("W⁽²⁾ᵀ ∂J/∂o", "∂J/∂O W⁽²⁾"),
             "∂J/∂z" if sample else "Σ_p ∂J/∂z[p]")  # fmt: skip
    # the data terms of ∂J/∂W⁽²⁾ and ∂J/∂W⁽¹⁾, and the same terms taken the wrong way round
    bare = ((f"{total}∂J/∂o hᵀ", "(∂J/∂O)ᵀ H"), (f"{total}∂J/∂z xᵀ", "(∂J/∂Z)ᵀ X"))
    transposed = ((f"{total}h (∂J/∂o)ᵀ", "Hᵀ ∂J/∂O"), (f"{total}x (∂J/∂z)ᵀ", "Xᵀ ∂J/∂Z"))

    def weight(name, ref, data, W, w, term, flipped):
        (text, rows), (ftext, frows) = term, flipped
        return (name, show(f"{text} + λ{w}", f"{rows} + λ{w}"), ref, [
            ("wrong transpose", show(f"{ftext} + λ{w}", f"{frows} + λ{w}"),
             lambda: data.T + lam * W),
            ("missing λW term", show(text, rows), lambda: data),
            ("λ applied per sample", show(f"{text} + P·λ{w}", f"{rows} + P·λ{w}"),
             lambda: data + P * lam * W),
            ("missing 1/P", show(f"P · {text} + λ{w}", f"P · {rows} + λ{w}"),
             lambda: P * data + lam * W),
            (*SIGN, lambda: -ref),
        ])  # fmt: skip

    entries = [
        ("∂J/∂o", rules[0], row(dO), [
            ("missing 1/P", "∂l/∂o", lambda: row(P * dO)), (*SIGN, lambda: -row(dO))]),
        weight("∂J/∂W⁽²⁾", g["W2"], prod2, W2, "W⁽²⁾", bare[0], transposed[0]),
        ("∂J/∂h", rules[1], row(dH), [
            ("wrong transpose", show("W⁽²⁾ ∂J/∂o", "∂J/∂O W⁽²⁾ᵀ"), lambda: row(dO @ W2.T)),
            (*SIGN, lambda: -row(dH))]),
        ("∂J/∂z", "∂J/∂h ⊙ φ′(z)", row(dZ), [
            ("φ in place of φ′", "∂J/∂h ⊙ φ(z)", lambda: row(dH * phi(Z))),
            ("φ′ at the output", "∂J/∂h ⊙ φ′(h)", lambda: row(dH * dphi(H))),
            (*SIGN, lambda: -row(dZ))]),
        weight("∂J/∂W⁽¹⁾", g["W1"], prod1, W1, "W⁽¹⁾", bare[1], transposed[1]),
    ]  # fmt: skip
    if "b1" in p:
        b1, db = p["b1"], g["b1"]
        entries.append(("∂J/∂b⁽¹⁾", rules[2], db, [
            ("penalised bias", f"{rules[2]} + λb⁽¹⁾", lambda: db + lam * b1),
            ("mean instead of sum", f"1/P · {rules[2]}", lambda: db / P),
            (*SIGN, lambda: -db)]))  # fmt: skip
    return entries
