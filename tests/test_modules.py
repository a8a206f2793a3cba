"""Each module's hand Jacobians against jacfwd/jacrev, its VJP against jax.vjp."""

import itertools

import jax
import jax.flatten_util
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import randn, rel_err

TOL = 1e-12


def _linear_case(n_in, n_out, bias):
    w = {"W": randn(1, (n_out, n_in))}
    if bias:
        w["b"] = randn(2, (n_out,))
    return hg.backprop.linear_module(bias), w, randn(3, (n_in,))


CASES = (
    [
        ("linear", n_in, n_out, bias)
        for n_in, n_out, bias in itertools.product((1, 3, 5), (1, 4), (False, True))
    ]
    + [(name, d, None, None) for name in sorted(hg.models.ACTIVATIONS) for d in (1, 6)]
    + [("flatten", shape, None, None) for shape in ((2, 3, 4), (5,), (3, 1, 2))]
)


def make(case):
    kind, a, b, bias = case
    if kind == "linear":
        return _linear_case(a, b, bias)
    if kind == "flatten":
        return hg.backprop.flatten_module(a), {}, randn(4, a)
    return hg.backprop.activation_module(kind), {}, 2 * randn(5, (a,))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hand_jacobians_equal_jacfwd_and_jacrev(case):
    f, w, z = make(case)
    J_z, J_w = f.jacobians(z, w)
    w_flat, unravel = jax.flatten_util.ravel_pytree(w)
    z_flat = z.reshape(-1)
    out = lambda zf, wf: f.forward(zf.reshape(z.shape), unravel(wf)).reshape(-1)
    for jac in (jax.jacfwd, jax.jacrev):
        assert rel_err(J_z, jac(out, 0)(z_flat, w_flat)) <= TOL
        auto_w = jac(out, 1)(z_flat, w_flat)
        assert J_w.shape == auto_w.shape
        assert rel_err(J_w, auto_w) <= TOL
    d_out = out(z_flat, w_flat).shape[0]
    assert J_z.shape == (d_out, z.size) and J_w.shape == (d_out, w_flat.size)


@pytest.mark.parametrize("batch", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_hand_vjp_equals_jax_vjp_for_one_sample_and_batches(case, batch):
    f, w, z = make(case)
    Z = randn(6, batch + z.shape)
    out, pullback = jax.vjp(f.forward, Z, w)
    g = randn(7, out.shape)
    dz, dw = f.vjp(Z, w, g)
    auto_z, auto_w = pullback(g)
    assert rel_err(dz, auto_z) <= TOL
    assert jax.tree_util.tree_structure(dw) == jax.tree_util.tree_structure(auto_w)
    for mine, theirs in zip(jax.tree_util.tree_leaves(dw), jax.tree_util.tree_leaves(auto_w)):
        assert rel_err(mine, theirs) <= TOL


@pytest.mark.parametrize("case", CASES, ids=str)
def test_jacobian_form_and_vjp_form_agree(case):
    f, w, z = make(case)
    g = randn(8, f.forward(z, w).shape)
    dz_rows, dw_rows = hg.backprop.vjp_from_row_gradients(f, z, w, g)
    dz, dw = f.vjp(z, w, g)
    assert rel_err(dz_rows, dz) <= TOL
    for a, b in zip(jax.tree_util.tree_leaves(dw_rows), jax.tree_util.tree_leaves(dw)):
        assert rel_err(a, b) <= TOL


def test_lecture_row_gradients_are_transposes_of_d2l_column_gradients():
    """∂J/∂h = W⁽²⁾ᵀ ∂J/∂o (d2l, column) is (∂c/∂o · ∂f/∂z)ᵀ (lecture, row)."""
    key = jax.random.key(4)
    params = hg.mlp1_init(key, 3, 5, 4, dtype=jnp.float64)
    x, y = jax.random.normal(key, (3,)), jnp.asarray(2)
    cache = hg.mlp1_forward(params, x, activation="tanh")
    back = hg.mlp1_backward(params, cache, y, lam=0.0, activation="tanh")
    g_row = back.dJ_do[None, :]  # [1 × q]
    out_layer = hg.backprop.linear_module(bias=False)
    dh_row, dW2_row = hg.backprop.row_gradients(out_layer, cache.h, {"W": params["W2"]}, g_row)
    assert dh_row.shape == (1, 5)
    assert rel_err(dh_row.T, back.dJ_dh[:, None]) <= TOL  # one is the transpose of the other
    assert rel_err(dW2_row.reshape(4, 5), back.dJ_dW2) <= TOL  # ∂J/∂o hᵀ, raveled row-major
    hidden = hg.backprop.activation_module("tanh")
    dz_row, _ = hg.backprop.row_gradients(hidden, cache.z, {}, dh_row)
    assert rel_err(dz_row.T, back.dJ_dz[:, None]) <= TOL


@pytest.mark.parametrize("name", sorted(hg.models.COSTS))
@pytest.mark.parametrize("batch", [(), (6,)], ids=str)
def test_cost_modules_start_the_backward_pass(name, batch):
    cost, q = hg.backprop.cost_module(name), 4
    ybar = jax.random.normal(jax.random.key(5), batch + (q,))
    if name == "softmax_cross_entropy":
        y = jax.random.randint(jax.random.key(6), batch, 0, q)
    else:
        y = jax.random.normal(jax.random.key(6), batch + (q,))
    c, pullback = jax.vjp(lambda o: cost.forward(o, y), ybar)
    per_sample = hg.models.get_cost(name).C
    expected = per_sample(y, ybar) if not batch else jnp.mean(jax.vmap(per_sample)(y, ybar))
    assert jnp.allclose(c, expected, rtol=1e-14)
    assert rel_err(cost.vjp(ybar, y), pullback(jnp.ones_like(c))[0]) <= TOL
    if not batch:
        assert rel_err(cost.jacobian(ybar, y), jax.jacrev(cost.forward)(ybar, y)[None, :]) <= TOL
