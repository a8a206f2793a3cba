"""Property-based: hand gradients equal jax.grad for any shapes hypothesis picks."""

import jax
import jax.numpy as jnp
from hypothesis import given, settings
from hypothesis import strategies as st

import handgrad as hg
from helpers import mlp1_hand_and_autodiff, mlp1_problem, randn, rel_err

_linear_pair = jax.jit(
    lambda w, X, Y: (hg.linear_hand_grad(w, X, Y), jax.grad(hg.linear_objective)(w, X, Y))
)
dims = st.integers(min_value=1, max_value=9)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    d=dims, h=dims, q=dims, P=st.integers(1, 12),
    activation=st.sampled_from(sorted(hg.models.ACTIVATIONS)), loss=st.sampled_from(sorted(hg.models.COSTS)),
    bias=st.booleans(), lam=st.floats(0.0, 2.0), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_mlp1_hand_grads_equal_jax_grad(d, h, q, P, activation, loss, bias, lam, seed):
    params, X, Y = mlp1_problem(
        jax.random.key(seed), d, h, q, P, bias=bias, loss=loss, dtype=jnp.float64
    )
    hand, auto = mlp1_hand_and_autodiff(params, X, Y, lam, activation, loss)
    for k in params:
        assert rel_err(hand[k], auto[k]) <= 1e-12, k


@settings(max_examples=15, deadline=None, derandomize=True)
@given(d=dims, q=st.one_of(st.none(), dims), P=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_linear_hand_grad_equals_jax_grad(d, q, P, seed):
    w = randn(seed, (d,) if q is None else (q, d))
    X = randn(seed + 1, (P, d))
    Y = randn(seed + 2, (P,) if q is None else (P, q))
    hand, auto = _linear_pair(w, X, Y)
    assert rel_err(hand, auto) <= 1e-12
