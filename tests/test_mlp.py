"""The deep MLP: hand backprop through the module stack against jax.grad, depths 1–6."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from helpers import TOL, mlp1_problem, rel_err


def problem(depth, *, bias, loss, dtype, seed=0, P=6):
    widths = [5] + [3 + (k * 2) % 5 for k in range(depth - 1)] + [4]
    rng = np.random.default_rng(seed + depth)
    params = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        layer = {"W": jnp.asarray(rng.uniform(-1, 1, (n_out, n_in)) / np.sqrt(n_in), dtype)}
        if bias is True or (bias == "mixed" and k % 2 == 0):  # "mixed": every other layer
            layer["b"] = jnp.asarray(rng.uniform(-1, 1, n_out) / np.sqrt(n_in), dtype)
        params.append(layer)
    X = jnp.asarray(rng.standard_normal((P, 5)), dtype)
    if loss == "softmax_cross_entropy":
        Y = jnp.asarray(rng.integers(0, 4, P), jnp.int32)
    else:
        Y = jnp.asarray(rng.standard_normal((P, 4)), dtype)
    return params, X, Y


def _pair(params, X, Y, lam, activation, loss):
    kw = {"lam": lam, "activation": activation, "loss": loss}
    return hg.mlp_hand_grads(params, X, Y, **kw), jax.grad(hg.mlp_objective)(params, X, Y, **kw)


pair = jax.jit(_pair, static_argnames=("activation", "loss"))


ACTS = ["relu", "tanh", "sigmoid"]
# Every activation and loss at every depth, with bias on some layers only (float64);
# then bias on/off at every depth in float32, the activation cycling with depth.
GRID = [
    (depth, act, loss, "mixed", jnp.float64)
    for depth, act, loss in itertools.product(range(1, 7), ACTS, sorted(hg.models.COSTS))
] + [
    (depth, ACTS[depth % 3], loss, bias, dtype)
    for depth, loss, bias, dtype in itertools.product(
        range(1, 7), sorted(hg.models.COSTS), [False, True], [jnp.float32, jnp.float64]
    )
]


@pytest.mark.parametrize("depth, activation, loss, bias, dtype", GRID)
def test_hand_grads_equal_jax_grad(depth, activation, loss, bias, dtype):
    params, X, Y = problem(depth, bias=bias, loss=loss, dtype=dtype)
    hand, auto = pair(params, X, Y, 0.05, activation, loss)
    assert len(hand) == len(params)
    for k, layer in enumerate(params):
        assert set(hand[k]) == set(layer)
        for name in layer:
            assert hand[k][name].shape == layer[name].shape and hand[k][name].dtype == dtype
            assert rel_err(hand[k][name], auto[k][name]) <= TOL[dtype], (k, name)


def test_penalty_skips_biases_and_lam_defaults_to_zero():
    params, X, Y = problem(2, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64)
    J0 = hg.mlp_objective(params, X, Y)
    J1 = hg.mlp_objective(params, X, Y, lam=2.0)
    expected = sum(jnp.sum(layer["W"] ** 2) for layer in params)  # λ/2 · 2 = 1
    assert jnp.allclose(J1 - J0, expected, rtol=1e-12)


def test_hand_grads_use_no_autodiff(monkeypatch):
    params, X, Y = problem(4, bias=True, loss="squared_error", dtype=jnp.float64)
    expected = jax.grad(hg.mlp_objective)(params, X, Y, loss="squared_error")
    for name in ("grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev"):
        monkeypatch.setattr(
            jax, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("autodiff"))
        )
    hand = hg.mlp_hand_grads(params, X, Y, loss="squared_error")
    assert rel_err(hand[0]["W"], expected[0]["W"]) <= 1e-12


@pytest.mark.parametrize(
    "params, message",
    [
        ({"W": jnp.ones((2, 5))}, "params must be a non-empty list of layer dicts"),
        ([], "params must be a non-empty list"),
        (
            [{"W": jnp.ones((3, 5))}, {"W": jnp.ones((4, 2))}],
            r"params\[1\]\['W'\].shape\[1\] has size 2 but params\[0\]\['W'\] of shape \(3, 5\) needs 3",
        ),
        (
            [{"W": jnp.ones((4, 5)), "bias": jnp.ones(4)}],
            r"params\[0\] has keys .* unexpected \['bias'\]",
        ),
        ([{"W": jnp.ones((4, 5)), "b": jnp.ones(3)}], r"params\[0\]\['b'\] has size 3"),
        (
            [{"W": jnp.ones((4, 6))}],
            r"X.shape\[1\] has size 5 but params\[0\]\['W'\] of shape \(4, 6\) needs 6",
        ),
    ],
)
def test_bad_params_are_named(params, message):
    X, Y = jnp.ones((2, 5)), jnp.zeros((2,), jnp.int32)
    for f in (hg.mlp_objective, hg.mlp_hand_grads):
        with pytest.raises(ValueError, match=message):
            f(params, X, Y)


def test_init_options():
    params = hg.mlp_init(jax.random.key(0), [400, 300, 2], dtype=jnp.float64, init="torch")
    W, b = params[0]["W"], params[0]["b"]
    bound = 1 / 20
    assert float(jnp.max(jnp.abs(W))) <= bound and float(jnp.max(jnp.abs(b))) <= bound
    assert abs(float(jnp.std(W)) / (bound / 3**0.5) - 1) < 0.02  # uniform, not normal
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        hg.mlp_init(jax.random.key(0), [2, 2], init="xavier")
    with pytest.raises(ValueError, match="widths must be two or more positive integers"):
        hg.mlp_init(jax.random.key(0), [2])
    assert "b" not in hg.mlp_init(jax.random.key(0), [2, 3], bias=False)[0]


def test_jitted_hand_grads_do_not_recompile():
    params, X, Y = problem(3, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def f(params, X, Y, lam):
        return hg.mlp_hand_grads(params, X, Y, lam=lam)

    f(params, X, Y, 0.1)
    f(jax.tree_util.tree_map(lambda w: -w, params), X + 1, Y, 0.2)
    with pytest.raises(AssertionError, match="traced > 1 times"):
        f(params, X[:2], Y[:2], 0.1)


# ------------------------------------------------------------------ d2l's MLP is this MLP
def test_d2l_init_is_the_mlp_init_and_draws_what_it_always_drew():
    from handgrad.models.mlp1 import mlp1_layers

    key = jax.random.key(4)
    params = hg.mlp1_init(key, d=5, h=7, q=3, bias=True, dtype=jnp.float64)
    layers = hg.mlp_init(key, [5, 7, 3], bias=False, dtype=jnp.float64)
    assert np.array_equal(params["W1"], layers[0]["W"]) and np.array_equal(
        params["W2"], layers[1]["W"]
    )
    assert np.array_equal(params["b1"], np.zeros(7))
    # the draws of the digits runs: W⁽¹⁾ ~ N(0, 1/d), W⁽²⁾ ~ N(0, 1/h) from split(key)
    k1, k2 = jax.random.split(key)
    assert np.array_equal(params["W1"], jax.random.normal(k1, (7, 5), jnp.float64) / jnp.sqrt(5.0))
    assert np.array_equal(params["W2"], jax.random.normal(k2, (3, 7), jnp.float64) / jnp.sqrt(7.0))
    assert [sorted(layer) for layer in mlp1_layers(params)] == [["W", "b"], ["W"]]


@pytest.mark.parametrize("bias", [False, True])
def test_d2l_forward_and_objective_are_the_mlps_bit_for_bit(bias):
    from handgrad.models.mlp1 import mlp1_layers, mlp1_params

    params, X, Y = mlp1_problem(2, 4, 6, 3, 5, bias=bias, loss="squared_error", dtype=jnp.float64)
    layers = mlp1_layers(params)
    assert mlp1_params(layers) == params
    for activation in ("tanh", "relu"):
        kw = {"lam": 0.3, "activation": activation, "loss": "squared_error"}
        assert np.array_equal(
            hg.mlp1(X[0], params, activation=activation),
            hg.mlp(X[0], layers, activation=activation),
        )
        assert float(hg.mlp1_objective(params, X, Y, **kw)) == float(
            hg.mlp_objective(layers, X, Y, **kw)
        )


def test_lam_is_one_keyword_with_one_default_everywhere():
    import inspect

    from handgrad.backprop import d2l
    from handgrad.exercises import remat

    functions = [
        hg.mlp1_objective, hg.models.mlp1_sample_objective, hg.mlp_objective, hg.mlp1_hand_grads,
        hg.mlp1_hand_value_and_grad, hg.backprop.mlp1_sample_hand_grads, hg.mlp_hand_grads,
        hg.mlp_hand_value_and_grad, d2l.mlp1_backward, d2l.mlp1_backward_batch,
        remat.remat_objective, remat.scan_objective,
    ]  # fmt: skip
    for f in functions:
        lam = inspect.signature(f).parameters["lam"]
        assert (lam.kind, lam.default) == (inspect.Parameter.KEYWORD_ONLY, 0.0), f.__name__


def test_a_float64_init_without_64_bit_mode_says_so():
    with jax.enable_x64(False):
        for init in (
            lambda: hg.mlp_init(jax.random.key(0), [2, 3], dtype=jnp.float64),
            lambda: hg.mlp1_init(jax.random.key(0), 2, 3, 4, dtype=jnp.float64),
            lambda: hg.models.linear_init(jax.random.key(0), 3, dtype=jnp.float64),
        ):
            with pytest.raises(ValueError, match=r"float64 needs JAX's 64-bit mode"):
                init()
        assert hg.mlp1_init(jax.random.key(0), 2, 3, 4)["W1"].dtype == jnp.float32
