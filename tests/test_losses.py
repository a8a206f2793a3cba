import jax
import jax.numpy as jnp

import handgrad as hg


def test_per_sample_loss_is_cost_of_model_output():
    x, y, w = jnp.array([1.0, 2.0]), jnp.array(4.0), jnp.array([0.5, 1.0])
    L = hg.per_sample_loss(hg.linear, hg.squared_error)
    assert float(L(x, y, w)) == (4.0 - 2.5) ** 2


def test_average_loss_is_the_mean_of_per_sample_losses():
    kx, ky, kw = jax.random.split(jax.random.key(0), 3)
    X, Y, w = (
        jax.random.normal(kx, (7, 3)),
        jax.random.normal(ky, (7,)),
        jax.random.normal(kw, (3,)),
    )
    L = hg.per_sample_loss(hg.linear, hg.squared_error)
    by_hand = sum(L(X[p], Y[p], w) for p in range(7)) / 7
    assert jnp.allclose(hg.average_loss(L)(X, Y, w), by_hand, rtol=1e-14)


def test_penalty_is_half_lambda_times_squared_frobenius_norms():
    W1, W2 = jnp.ones((2, 3)), 2 * jnp.ones((1, 2))
    assert float(hg.l2_penalty([W1, W2], 0.5)) == 0.25 * (6 + 8)
    assert hg.l2_penalty([W1.astype(jnp.float32)], 0.5).dtype == jnp.float32


def test_penalty_is_added_once_per_batch_not_per_sample():
    params, lam = hg.mlp1_init(jax.random.key(0), 3, 4, 2, dtype=jnp.float64), 0.3
    s = hg.l2_penalty([params["W1"], params["W2"]], lam)
    for P in (1, 5, 20):
        X = jax.random.normal(jax.random.key(P), (P, 3))
        Y = jnp.zeros((P,), jnp.int32)
        J = hg.mlp1_objective(params, X, Y, lam=lam)
        L = hg.mlp1_objective(params, X, Y, lam=0.0)
        assert jnp.allclose(J - L, s, rtol=1e-12)


def test_bias_is_not_penalised():
    params = hg.mlp1_init(jax.random.key(0), 3, 4, 2, bias=True, dtype=jnp.float64)
    X, Y = jnp.ones((2, 3)), jnp.zeros((2,), jnp.int32)
    J0 = hg.mlp1_objective(params, X, Y, lam=1.0) - hg.mlp1_objective(params, X, Y, lam=0.0)
    params["b1"] = 100 * jnp.ones(4)
    J1 = hg.mlp1_objective(params, X, Y, lam=1.0) - hg.mlp1_objective(params, X, Y, lam=0.0)
    assert jnp.allclose(J0, J1, rtol=1e-12)
