"""d2l's exercise 1: the gradient of a scalar f(X) of an n × m matrix X is an n × m matrix.

There is one partial derivative per entry of X, and the gradient lays them out like X:
(∂f/∂X)[i, j] = ∂f/∂X[i, j]. The same holds for any array shape and, leaf by leaf, for a
pytree of parameters — which is why ``jax.grad`` returns a pytree shaped like its input
and why an update w ← w − η ∂J/∂w type-checks. (The lecture writes ∂c/∂z as a [1 × d] row
vector: the same d numbers, laid out as a row; ``ravel_pytree`` gives that layout.)

``SHAPE_RULE`` states the rule in the words the error messages use.

A hand gradient of the wrong shape is the commonest slip in a derivation: ∂J/∂W⁽¹⁾ =
∂J/∂z xᵀ is (h × d) like W⁽¹⁾, while x ∂J/∂zᵀ is its transpose. ``check_gradient_shapes``
says which leaf is wrong and, when it is a transpose, that too; the gradient harness uses it.

>>> import jax.numpy as jnp
>>> gradient_shape(lambda X: jnp.sum(X ** 2), jnp.ones((3, 2)))
(3, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

SHAPE_RULE = (
    "the gradient of a scalar with respect to an array has that array's shape, "
    "entry [i, j] being ∂J/∂X[i, j] (d2l's exercise 1)"
)


def gradient_shape(f: Callable[..., Any], X: Any, *args, **kwargs) -> Any:
    """The shape of ∂f/∂X — that of X — from ``jax.eval_shape``, computing nothing.

    Returns:
      A shape tuple for an array X, a pytree of shapes for a pytree X.

    Raises:
      ValueError: if f(X) is not a scalar; then it has a Jacobian, of shape
        f(X).shape + X.shape, not a gradient.
    """
    out = jax.eval_shape(f, X, *args, **kwargs)
    if getattr(out, "shape", None) != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise ValueError(
            f"f must return a scalar to have a gradient, got shape {shape}; a vector-valued f has a "
            f"Jacobian instead, of shape output shape + input shape"
        )
    grads = jax.eval_shape(jax.grad(f), X, *args, **kwargs)
    return jax.tree_util.tree_map(lambda g: tuple(g.shape), grads)


def leaf_name(path) -> str:
    """A leaf's name from its pytree path: "W1", "0.W", or "params" for a bare array."""
    parts = []
    for key in path:
        for attr in ("key", "idx", "name"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
    return ".".join(parts) or "params"


def leaf_names(tree: Any) -> list[str]:
    """The names of ``tree``'s leaves, in ``tree_leaves`` order (``leaf_name`` of each path)."""
    return [leaf_name(path) for path, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]


def check_gradient_shapes(params: Any, grads: Any, *, name: str = "gradient") -> None:
    """Raises ``ValueError`` unless ``grads`` is a pytree shaped exactly like ``params``.

    The message names the leaf, both shapes and the rule; a transposed leaf is called so.
    """
    p_def, g_def = jax.tree_util.tree_structure(params), jax.tree_util.tree_structure(grads)
    if p_def != g_def:
        raise ValueError(
            f"{name} returned a pytree {g_def}, expected one like params {p_def}: {SHAPE_RULE}"
        )
    for (path, p), g in zip(
        jax.tree_util.tree_flatten_with_path(params)[0], jax.tree_util.tree_leaves(grads)
    ):
        p_shape, g_shape = tuple(jax.numpy.shape(p)), tuple(jax.numpy.shape(g))
        if g_shape != p_shape:
            hint = ""
            if len(p_shape) == 2 and g_shape == p_shape[::-1]:
                hint = " — it is the transpose: e.g. write ∂J/∂W = δ xᵀ (out × in), not x δᵀ"
            raise ValueError(
                f"{name} leaf {leaf_name(path)} has shape {g_shape}, expected {p_shape}: {SHAPE_RULE}{hint}"
            )
