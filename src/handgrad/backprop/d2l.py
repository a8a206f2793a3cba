"""Hand-derived backprop for d2l's one-hidden-layer MLP, exactly the text's formulas.

The forward pass computes and stores the intermediates (z, h, o); the backward pass
consumes them, walking the graph in reverse. For one sample (column vectors, as printed):

    ∂J/∂o   = ∂l/∂o                          (∂J/∂L = 1)
    ∂J/∂W⁽²⁾ = ∂J/∂o hᵀ + λW⁽²⁾
    ∂J/∂h   = W⁽²⁾ᵀ ∂J/∂o
    ∂J/∂z   = ∂J/∂h ⊙ φ′(z)
    ∂J/∂W⁽¹⁾ = ∂J/∂z xᵀ + λW⁽¹⁾
    ∂J/∂b⁽¹⁾ = ∂J/∂z                          (exercise 2; the bias is not penalised)

For a batch of P samples stacked as rows (X ∈ ℝ^{P×d}, Z, H ∈ ℝ^{P×h}, O ∈ ℝ^{P×q}) and
J = 1/P Σ_p l(o[p], y[p]) + s, each formula becomes one matrix product: the 1/P enters
once, in ∂J/∂O, and λ once, in the weight gradients (s is added once per batch):

    ∂J/∂O   = 1/P · ∂l/∂O
    ∂J/∂W⁽²⁾ = (∂J/∂O)ᵀ H + λW⁽²⁾          (= Σ_p ∂J/∂o[p] h[p]ᵀ + λW⁽²⁾)
    ∂J/∂H   = ∂J/∂O W⁽²⁾
    ∂J/∂Z   = ∂J/∂H ⊙ φ′(Z)
    ∂J/∂W⁽¹⁾ = (∂J/∂Z)ᵀ X + λW⁽¹⁾
    ∂J/∂b⁽¹⁾ = Σ_p ∂J/∂Z[p]

No JAX autodiff is used here: only the derivatives φ′ and ∂C/∂ȳ written by hand.

>>> import jax, jax.numpy as jnp
>>> params = {"W1": jnp.eye(2), "W2": jnp.ones((1, 2))}
>>> grads = mlp1_hand_grads(params, jnp.ones((3, 2)), jnp.zeros((3, 1)),
...                         lam=0.0, loss="squared_error")
>>> grads["W2"].tolist()
[[4.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_lam
from handgrad.models.activations import get_activation
from handgrad.models.costs import get_cost
from handgrad.models.losses import l2_penalty
from handgrad.models.mlp1 import Params, as_mlp1_inputs


class MLP1Cache(NamedTuple):
    """What the forward pass stores for the backward pass.

    Per sample these are vectors x (d,), z (h,), h (h,), o (q,); for a batch they are
    the matrices X (P, d), Z (P, h), H (P, h), O (P, q), one sample per row.
    """

    x: jax.Array
    z: jax.Array
    h: jax.Array
    o: jax.Array


class MLP1Backward(NamedTuple):
    """Every gradient the backward pass computes, in the order it computes them."""

    dJ_do: jax.Array
    dJ_dW2: jax.Array
    dJ_dh: jax.Array
    dJ_dz: jax.Array
    dJ_dW1: jax.Array
    dJ_db1: jax.Array | None


def mlp1_forward(
    params: Mapping[str, jax.Array], x: jax.Array, *, activation: str = "relu"
) -> MLP1Cache:
    """Forward pass for one sample: z = W⁽¹⁾x (+ b⁽¹⁾), h = φ(z), o = W⁽²⁾h."""
    phi = get_activation(activation).phi
    z = params["W1"] @ x
    if "b1" in params:
        z = z + params["b1"]
    h = phi(z)
    o = params["W2"] @ h
    return MLP1Cache(x, z, h, o)


def mlp1_backward(
    params: Mapping[str, jax.Array],
    cache: MLP1Cache,
    y: jax.Array,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> MLP1Backward:
    r"""Backward pass for one sample, the text's formulas with column vectors.

    .. math::

        \frac{\partial J}{\partial o} &= \frac{\partial l}{\partial o}
        \quad \Big(\frac{\partial J}{\partial L} = 1\Big) \\
        \frac{\partial J}{\partial W^{(2)}} &=
            \frac{\partial J}{\partial o}\, h^{\top} + \lambda W^{(2)} \\
        \frac{\partial J}{\partial h} &= W^{(2)\top} \frac{\partial J}{\partial o} \\
        \frac{\partial J}{\partial z} &= \frac{\partial J}{\partial h} \odot \phi'(z) \\
        \frac{\partial J}{\partial W^{(1)}} &=
            \frac{\partial J}{\partial z}\, x^{\top} + \lambda W^{(1)} \\
        \frac{\partial J}{\partial b^{(1)}} &= \frac{\partial J}{\partial z}
        \quad \text{(exercise 2; the bias is not penalised)}
    """
    dphi = get_activation(activation).dphi
    W1, W2 = params["W1"], params["W2"]
    lam = jnp.asarray(lam, W1.dtype)
    dJ_do = get_cost(loss).dC_dybar(y, cache.o)
    dJ_dW2 = jnp.outer(dJ_do, cache.h) + lam * W2
    dJ_dh = W2.T @ dJ_do
    dJ_dz = dJ_dh * dphi(cache.z)
    dJ_dW1 = jnp.outer(dJ_dz, cache.x) + lam * W1
    dJ_db1 = dJ_dz if "b1" in params else None
    return MLP1Backward(dJ_do, dJ_dW2, dJ_dh, dJ_dz, dJ_dW1, dJ_db1)


def _contract_samples(A: jax.Array, B: jax.Array) -> jax.Array:
    """Σ_p A[:, p] B[:, p]ᵀ, i.e. A Bᵀ, for samples as columns: both operands contract their
    second axis, an orientation XLA:CPU multiplies at full speed."""
    return jax.lax.dot_general(A, B, (((1,), (1,)), ((), ())))


def _columns(Y: jax.Array) -> jax.Array:
    """Targets with one sample per column: labels (P,) as they are, vectors (P, q) as (q, P)."""
    return Y if Y.ndim == 1 else Y.T


def mlp1_forward_batch(
    params: Mapping[str, jax.Array], X: jax.Array, *, activation: str = "relu"
) -> MLP1Cache:
    """Forward pass for a row-major batch: Z = X W⁽¹⁾ᵀ (+ b⁽¹⁾), H = φ(Z), O = H W⁽²⁾ᵀ.

    Computed as d2l prints it, one sample per column (Zᵀ = W⁽¹⁾Xᵀ, Hᵀ = φ(Zᵀ), Oᵀ = W⁽²⁾Hᵀ),
    and handed back row-major; inside one ``jit`` the transposes cancel with the backward
    pass's. Columns are how XLA:CPU multiplies these shapes fastest: a product summed over
    the samples of row-major matrices, (∂J/∂Z)ᵀX, takes it up to 4× longer
    (``benchmarks/README.md``)."""
    phi = get_activation(activation).phi
    Zt = _contract_samples(params["W1"], X)  # W⁽¹⁾Xᵀ: (h, P)
    if "b1" in params:
        Zt = Zt + params["b1"][:, None]
    Ht = phi(Zt)
    Ot = params["W2"] @ Ht
    return MLP1Cache(X, Zt.T, Ht.T, Ot.T)


def mlp1_backward_batch(
    params: Mapping[str, jax.Array],
    cache: MLP1Cache,
    Y: jax.Array,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> MLP1Backward:
    """Backward pass for a row-major batch: one matrix product per formula (written out
    in ``mlp1_hand_grads``), computed one sample per column as ``mlp1_forward_batch`` is."""
    dphi = get_activation(activation).dphi
    W1, W2 = params["W1"], params["W2"]
    lam = jnp.asarray(lam, W1.dtype)
    P = cache.x.shape[0]
    # columns from here on: ∂J/∂Oᵀ is (q, P), ∂C/∂ō down each column
    dJ_dOt = get_cost(loss).dC_dybar(_columns(Y), cache.o.T, axis=0) / P
    dJ_dW2 = _contract_samples(dJ_dOt, cache.h.T) + lam * W2  # (∂J/∂O)ᵀ H
    dJ_dHt = W2.T @ dJ_dOt
    dJ_dZt = dJ_dHt * dphi(cache.z.T)
    dJ_dW1 = dJ_dZt @ cache.x + lam * W1  # (∂J/∂Z)ᵀ X
    dJ_db1 = jnp.sum(dJ_dZt, axis=1) if "b1" in params else None
    return MLP1Backward(dJ_dOt.T, dJ_dW2, dJ_dHt.T, dJ_dZt.T, dJ_dW1, dJ_db1)


def mlp1_batch_loss(cache: MLP1Cache, Y: jax.Array, *, loss: str) -> jax.Array:
    """L = 1/P Σ_p C(y[p], o[p]) from a batch's stored forward pass, C taken down each column
    of Oᵀ as ``mlp1_forward_batch`` computed it."""
    return jnp.mean(get_cost(loss).C(_columns(Y), cache.o.T, axis=0))


def _as_params(params: Mapping[str, jax.Array], back: MLP1Backward) -> Params:
    grads = {"W1": back.dJ_dW1, "W2": back.dJ_dW2}
    if "b1" in params:
        grads["b1"] = back.dJ_db1
    return grads


def mlp1_hand_value_and_grad(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> tuple[jax.Array, Params]:
    """(J, ∂J/∂w) for ``handgrad.mlp1_objective``: J from the stored forward pass, the
    gradient by the batched hand formulas; no autodiff. The training loops' gradient source.
    """
    check_lam(lam)
    p, X, Y = as_mlp1_inputs(params, X, Y, activation, loss)
    cache = mlp1_forward_batch(p, X, activation=activation)
    L = mlp1_batch_loss(cache, Y, loss=loss)
    J = L + l2_penalty([p["W1"], p["W2"]], lam)
    back = mlp1_backward_batch(p, cache, Y, lam=lam, activation=activation, loss=loss)
    return J, _as_params(p, back)


def mlp1_hand_grads(
    params: Mapping[str, ArrayLike],
    X: ArrayLike,
    Y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> Params:
    r"""∂J/∂w for ``handgrad.mlp1_objective``, by the batched hand formulas only.

    For P samples stacked as rows (X of shape (P, d); Z and H of shape (P, h); O of shape
    (P, q)) and
    :math:`J = \frac{1}{P} \sum_p l(o[p], y[p]) + \frac{\lambda}{2} \big(\lVert W^{(1)}
    \rVert_F^2 + \lVert W^{(2)} \rVert_F^2\big)`, d2l's formulas become one matrix product
    each (``mlp1_backward_batch``; 1/P enters once, λ once):

    .. math::

        \frac{\partial J}{\partial O} &= \frac{1}{P}\,\frac{\partial l}{\partial O} \\
        \frac{\partial J}{\partial W^{(2)}} &=
            \Big(\frac{\partial J}{\partial O}\Big)^{\top} H + \lambda W^{(2)} \\
        \frac{\partial J}{\partial H} &= \frac{\partial J}{\partial O}\, W^{(2)} \\
        \frac{\partial J}{\partial Z} &= \frac{\partial J}{\partial H} \odot \phi'(Z) \\
        \frac{\partial J}{\partial W^{(1)}} &=
            \Big(\frac{\partial J}{\partial Z}\Big)^{\top} X + \lambda W^{(1)} \\
        \frac{\partial J}{\partial b^{(1)}} &= \sum_p \frac{\partial J}{\partial Z}[p]
        \quad \text{(with a bias, d2l's exercise 2)}

    Takes the same arguments as ``mlp1_objective`` and returns a dict with the same
    keys and shapes as ``params``. Jit it with ``static_argnames=("activation", "loss")``.

    Raises:
      ValueError: on an unknown name, a wrong shape or dtype, or labels out of range.
    """
    return mlp1_hand_value_and_grad(params, X, Y, lam=lam, activation=activation, loss=loss)[1]


def mlp1_sample_hand_grads(
    params: Mapping[str, ArrayLike],
    x: ArrayLike,
    y: ArrayLike,
    *,
    lam: ArrayLike = 0.0,
    activation: str = "relu",
    loss: str = "softmax_cross_entropy",
) -> Params:
    """∂J/∂w for one sample (``mlp1_sample_objective``), by the column-vector formulas."""
    check_lam(lam)
    x, y = jnp.asarray(x), jnp.asarray(y)
    p, X, Y = as_mlp1_inputs(params, x[None], y[None], activation, loss)
    cache = mlp1_forward(p, X[0], activation=activation)
    back = mlp1_backward(p, cache, Y[0], lam=lam, activation=activation, loss=loss)
    return _as_params(p, back)
