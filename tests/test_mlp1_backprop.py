"""d2l's hand backprop against JAX's autodiff over the full grid of the issue."""

import itertools

import chex
import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import TOL, mlp1_hand_and_autodiff, mlp1_problem, rel_err

SHAPES = [(1, 1, 1, 1), (1, 4, 1, 5), (3, 1, 2, 1), (6, 7, 4, 9)]  # d, h, q, P: each is 1 somewhere
GRID = list(
    itertools.product(
        SHAPES, sorted(hg.models.ACTIVATIONS), sorted(hg.models.COSTS), [False, True], [0.0, 0.3]
    )
)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("shape, activation, loss, bias, lam", GRID)
def test_batched_hand_grads_equal_jax_grad(shape, activation, loss, bias, lam, dtype):
    d, h, q, P = shape
    params, X, Y = mlp1_problem(
        jax.random.key(P * 7 + d), d, h, q, P, bias=bias, loss=loss, dtype=dtype
    )
    hand, auto = mlp1_hand_and_autodiff(params, X, Y, lam, activation, loss)
    assert set(hand) == set(params)
    for k in params:
        assert hand[k].shape == params[k].shape and hand[k].dtype == dtype, k
        assert rel_err(hand[k], auto[k]) <= TOL[dtype], (k, rel_err(hand[k], auto[k]))


@pytest.mark.parametrize("activation", sorted(hg.models.ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(hg.models.COSTS))
@pytest.mark.parametrize("bias", [False, True])
def test_per_sample_column_vector_form_equals_jax_grad(activation, loss, bias):
    params, X, Y = mlp1_problem(
        jax.random.key(5), 3, 4, 2, 1, bias=bias, loss=loss, dtype=jnp.float64
    )
    x, y = X[0], Y[0]
    kw = {"lam": 0.2, "activation": activation, "loss": loss}
    hand = hg.backprop.mlp1_sample_hand_grads(params, x, y, **kw)
    auto = jax.grad(hg.models.mlp1_sample_objective)(params, x, y, **kw)
    for k in params:
        assert rel_err(hand[k], auto[k]) <= 1e-12, k


@pytest.mark.parametrize("loss", sorted(hg.models.COSTS))
def test_intermediate_gradients_equal_autodiff_through_the_graph(loss):
    """∂J/∂o, ∂J/∂h and ∂J/∂z of the backward pass, each against jax.grad."""
    params, X, Y = mlp1_problem(
        jax.random.key(6), 3, 4, 2, 1, bias=True, loss=loss, dtype=jnp.float64
    )
    x, y, act = X[0], Y[0], "tanh"
    phi = hg.models.get_activation(act).phi
    cost = hg.models.get_cost(loss).C
    cache = hg.mlp1_forward(params, x, activation=act)
    back = hg.mlp1_backward(params, cache, y, lam=0.0, activation=act, loss=loss)
    J_of_o = lambda o: cost(y, o)
    J_of_h = lambda h: J_of_o(params["W2"] @ h)
    J_of_z = lambda z: J_of_h(phi(z))
    assert rel_err(back.dJ_do, jax.grad(J_of_o)(cache.o)) <= 1e-12
    assert rel_err(back.dJ_dh, jax.grad(J_of_h)(cache.h)) <= 1e-12
    assert rel_err(back.dJ_dz, jax.grad(J_of_z)(cache.z)) <= 1e-12
    assert back.dJ_db1 is back.dJ_dz


def test_forward_stores_z_h_o_and_o_is_the_model_output():
    params, X, _ = mlp1_problem(
        jax.random.key(7), 3, 4, 2, 5, bias=True, loss="squared_error", dtype=jnp.float64
    )
    cache = hg.backprop.mlp1_forward_batch(params, X, activation="sigmoid")
    assert (cache.z.shape, cache.h.shape, cache.o.shape) == ((5, 4), (5, 4), (5, 2))
    assert jnp.allclose(cache.h, jax.nn.sigmoid(cache.z))
    for p in range(5):
        assert jnp.allclose(cache.o[p], hg.mlp1(X[p], params, activation="sigmoid"), rtol=1e-14)
        single = hg.mlp1_forward(params, X[p], activation="sigmoid")
        assert jnp.allclose(single.z, cache.z[p], rtol=1e-14)


def test_batched_form_is_the_mean_of_per_sample_forms_plus_lambda_w():
    """1/P and λ placed correctly: batch grad = mean_p(sample grad at λ=0) + λW."""
    params, X, Y = mlp1_problem(
        jax.random.key(8), 3, 5, 4, 7, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )
    lam = 0.7
    per_sample = jax.vmap(
        lambda x, y: hg.backprop.mlp1_sample_hand_grads(params, x, y, lam=0.0, activation="tanh")
    )(X, Y)
    batched = hg.mlp1_hand_grads(params, X, Y, lam=lam, activation="tanh")
    for k in params:
        penalty = lam * params[k] if k.startswith("W") else 0.0
        assert rel_err(batched[k], jnp.mean(per_sample[k], axis=0) + penalty) <= 1e-12, k


def test_relu_exactly_at_the_kink_matches_jax_grad():
    # Zero inputs and no bias put every ReLU input at exactly z = 0.
    params, _, Y = mlp1_problem(
        jax.random.key(9), 3, 4, 2, 3, bias=False, loss="softmax_cross_entropy", dtype=jnp.float64
    )
    X = jnp.zeros((3, 3)).at[0].set(1.0)
    assert jnp.any(hg.backprop.mlp1_forward_batch(params, X).z == 0)
    hand = hg.mlp1_hand_grads(params, X, Y, lam=0.1)
    auto = jax.grad(hg.mlp1_objective)(params, X, Y, lam=0.1)
    for k in params:
        assert rel_err(hand[k], auto[k]) <= 1e-12


def test_hand_grads_use_no_autodiff(monkeypatch):
    params, X, Y = mlp1_problem(
        jax.random.key(10), 3, 4, 2, 5, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )
    expected = jax.grad(hg.mlp1_objective)(params, X, Y, lam=0.1)

    def forbidden(*args, **kwargs):
        raise AssertionError("autodiff called inside the hand gradient")

    for name in ("grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev"):
        monkeypatch.setattr(jax, name, forbidden)
    hand = hg.mlp1_hand_grads(params, X, Y, lam=0.1)
    for k in params:
        assert rel_err(hand[k], expected[k]) <= 1e-12


def test_jitted_hand_grads_do_not_recompile_on_a_second_call():
    @jax.jit
    @chex.assert_max_traces(n=1)
    def step(params, X, Y, lam):
        return hg.mlp1_hand_grads(params, X, Y, lam=lam, activation="tanh")

    params, X, Y = mlp1_problem(
        11, 3, 4, 2, 5, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )
    step(params, X, Y, 0.1)
    step(jax.tree_util.tree_map(lambda w: 2 * w, params), X + 1, Y, 0.2)  # new values, λ traced
    with pytest.raises(AssertionError, match="traced > 1 times"):
        step(params, X[:3], Y[:3], 0.1)  # a new shape must trace anew: the counter sees it
