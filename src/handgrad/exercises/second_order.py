"""d2l's exercise 4: second derivatives, and what they do to the computational graph.

For J(w) with n parameters (flattened in ``jax.flatten_util.ravel_pytree`` order):

- the Hessian H = ∂²J/∂w∂wᵀ is n × n: ``hessian`` builds it with ``jax.hessian``
  (forward over reverse: n forward-mode passes through the gradient's graph), which costs
  about n gradients and n² memory — fine for the lecture's linear model, hopeless for a net;
- a Hessian-vector product H v = d/dε ∇J(w + εv)|₀ never forms H: ``hvp`` pushes one
  forward-mode tangent through *any* gradient function — ``jax.grad(J)`` or a hand-derived
  backward pass — so it costs a small constant times one gradient;
- the witness ``hvp_fd`` differences the gradient: (∇J(w + εv) − ∇J(w − εv)) / 2ε.

The graph: differentiating the backward pass again differentiates every operator of the
forward *and* backward graph, so J, ∇J and Hv have ever more primitives
(``primitive_count``); the jaxprs show it.

For linear least squares L(w) = 1/P ‖Xw − y‖², H = 2/P XᵀX by hand (``linear_hessian``), and
the Newton step w − H⁻¹∇L (``newton_step``) — preconditioned GD with η = H⁻¹ — lands on the
minimum in one step.

>>> import jax.numpy as jnp
>>> X = jnp.array([[1.0, 0.0], [0.0, 2.0]])
>>> linear_hessian(X).tolist()
[[1.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.flatten_util
import jax.numpy as jnp
from jax.typing import ArrayLike

from handgrad._validate import check_ndim
from handgrad.backprop.linear import linear_hand_grad


def hessian(objective: Callable[..., jax.Array], params: Any, *args, **kwargs) -> jax.Array:
    """The n × n Hessian of ``objective(params, *args, **kwargs)`` over the flattened params."""
    w, unravel = jax.flatten_util.ravel_pytree(params)
    return jax.hessian(lambda v: objective(unravel(v), *args, **kwargs))(w)


def _check_like(params: Any, v: Any) -> None:
    p_def, v_def = jax.tree_util.tree_structure(params), jax.tree_util.tree_structure(v)
    shapes = [jnp.shape(a) for a in jax.tree_util.tree_leaves(params)]
    if p_def != v_def or shapes != [jnp.shape(a) for a in jax.tree_util.tree_leaves(v)]:
        raise ValueError(
            f"v must be shaped like params ({shapes}), got {[jnp.shape(a) for a in jax.tree_util.tree_leaves(v)]}"
        )


def hvp(grad_fn: Callable[..., Any], params: Any, v: Any, *args, **kwargs) -> Any:
    """H v = d/dε grad_fn(params + εv, …) at ε = 0, by forward mode over ``grad_fn``.

    Args:
      grad_fn: any gradient function ``(params, *args, **kwargs)`` → pytree like params:
        ``jax.grad(J)`` (forward over reverse) or a hand backward pass.
      params, v: the point and the direction, pytrees of the same shapes.

    Returns:
      A pytree like params.
    """
    _check_like(params, v)
    return jax.jvp(lambda p: grad_fn(p, *args, **kwargs), (params,), (v,))[1]


def hvp_fd(
    grad_fn: Callable[..., Any], params: Any, v: Any, *args, eps: float = 1e-5, **kwargs
) -> Any:
    """(∇J(w + εv) − ∇J(w − εv)) / 2ε: central differences of the gradient, the witness."""
    _check_like(params, v)
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    step = lambda sign: jax.tree_util.tree_map(lambda w, d: w + sign * eps * d, params, v)
    plus, minus = grad_fn(step(1), *args, **kwargs), grad_fn(step(-1), *args, **kwargs)
    return jax.tree_util.tree_map(lambda a, b: (a - b) / (2 * eps), plus, minus)


def linear_hessian(X: ArrayLike) -> jax.Array:
    """H = 2/P XᵀX, the Hessian of the linear model's average squared error (scalar output)."""
    X = jnp.asarray(X)
    check_ndim("X", X, 2, "(P, d)")
    return 2.0 / X.shape[0] * X.T @ X


def newton_step(w: ArrayLike, X: ArrayLike, Y: ArrayLike) -> jax.Array:
    """w − H⁻¹ ∂L/∂w for linear least squares: the minimum, in one step when H is invertible."""
    w = jnp.asarray(w)
    return w - jnp.linalg.solve(linear_hessian(X), linear_hand_grad(w, X, Y))


def primitive_count(f: Callable[..., Any], *args, **kwargs) -> int:
    """The number of primitive operations in f's jaxpr, nested jaxprs (jit, custom_jvp, scan…) included."""
    closed = jax.make_jaxpr(lambda *a: f(*a, **kwargs))(*args)

    def count(jaxpr) -> int:
        total = 0
        for eqn in jaxpr.eqns:
            inner = [p for p in eqn.params.values() if hasattr(p, "eqns") or hasattr(p, "jaxpr")]
            if inner:
                total += sum(count(getattr(p, "jaxpr", p)) for p in inner)
            else:
                total += 1
        return total

    return count(closed.jaxpr)
