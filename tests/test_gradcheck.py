import warnings

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import mlp1_problem


@pytest.fixture
def problem():
    return mlp1_problem(
        jax.random.key(0), 4, 5, 3, 6, bias=True, loss="softmax_cross_entropy", dtype=jnp.float64
    )


def test_correct_gradient_passes_and_reports_every_leaf(problem):
    params, X, Y = problem
    report = hg.check_gradients(hg.mlp1_objective, hg.mlp1_hand_grads, params, (X, Y), {"lam": 0.1})
    assert report.passed and report.dtype == "float64"
    assert [(leaf.path, leaf.shape) for leaf in report.leaves] == [
        ("W1", (5, 4)),
        ("W2", (3, 5)),
        ("b1", (5,)),
    ]
    for leaf in report.leaves:
        assert max(leaf.grad, leaf.vjp, leaf.jvp) <= 1e-12 and leaf.fd <= 1e-6
    assert "W1" in report.table() and "fd" in report.table()


def test_a_missing_penalty_term_is_caught_and_the_leaf_named(problem):
    params, X, Y = problem

    def forgot_lambda_in_W2(params, X, Y, *, lam):
        grads = hg.mlp1_hand_grads(params, X, Y, lam=lam)
        return {**grads, "W2": grads["W2"] - lam * params["W2"]}

    with pytest.raises(
        hg.GradientCheckError,
        match=r"leaf W2 \(3, 5\): relative error .* against grad exceeds 1e-12",
    ) as err:
        hg.check_gradients(hg.mlp1_objective, forgot_lambda_in_W2, params, (X, Y), {"lam": 0.1})
    assert "leaf W1" not in str(err.value) and "leaf b1" not in str(err.value)


def test_a_tiny_error_is_caught_by_the_exact_oracles_but_not_by_finite_differences(problem):
    params, X, Y = problem

    def off_by_1e_9(params, X, Y, *, lam):
        grads = hg.mlp1_hand_grads(params, X, Y, lam=lam)
        return {**grads, "b1": grads["b1"] * (1 + 1e-9)}

    report = hg.check_gradients(
        hg.mlp1_objective, off_by_1e_9, params, (X, Y), {"lam": 0.1}, raise_on_failure=False
    )
    b1 = report.leaves[2]
    assert not report.passed and b1.path == "b1"
    assert 5e-10 < b1.grad < 2e-9 and 5e-10 < b1.vjp < 2e-9 and b1.fd < 1e-6
    assert len(report.failures()) == 3  # grad, vjp and jvp; fd cannot see it


def test_nan_gradient_fails(problem):
    params, X, Y = problem
    nan_grad = lambda p, X, Y, **kw: {k: jnp.full_like(v, jnp.nan) for k, v in p.items()}
    report = hg.check_gradients(
        hg.mlp1_objective, nan_grad, params, (X, Y), {"lam": 0.1}, raise_on_failure=False
    )
    assert not report.passed and all(leaf.grad == float("inf") for leaf in report.leaves)


def test_wrong_structure_is_a_value_error(problem):
    params, X, Y = problem
    with pytest.raises(ValueError, match="hand_grad returned a pytree"):
        hg.check_gradients(
            hg.mlp1_objective, lambda p, X, Y, **kw: {"W1": p["W1"]}, params, (X, Y), {"lam": 0.0}
        )
    with pytest.raises(
        ValueError, match=r"hand_grad leaf W2 has shape \(5, 3\), expected \(3, 5\)"
    ):
        hg.check_gradients(
            hg.mlp1_objective,
            lambda p, X, Y, **kw: {**p, "W2": p["W2"].T},
            params,
            (X, Y),
            {"lam": 0.0},
        )


def test_warns_when_relu_inputs_sit_at_the_kink(problem):
    params, X, Y = problem
    params = {k: v for k, v in params.items() if k != "b1"}
    # Project W1[0] out of x[0], so unit 0 sits at z = 0 (to rounding) for sample 0;
    # a step along v moves it by ε·v[0]·x[0], across the kink.
    w = params["W1"][0]
    X = X.at[0].set(X[0] - (w @ X[0]) / (w @ w) * w)
    assert abs(float(hg.backprop.mlp1_forward_batch(params, X).z[0, 0])) < 1e-15
    kink = lambda p, X, Y, **kw: hg.backprop.mlp1_forward_batch(p, X).z
    with pytest.warns(
        hg.check.KinkWarning,
        match=r"leaf W1: \d+ ReLU inputs lie within the finite-difference step",
    ):
        report = hg.check_gradients(
            hg.mlp1_objective, hg.mlp1_hand_grads, params, (X, Y), {"lam": 0.1},
            kink_inputs=kink, raise_on_failure=False,
        )  # fmt: skip
    assert report.leaves[0].kink_crossings > 0 and report.leaves[1].kink_crossings == 0


def test_no_kink_warning_away_from_the_kink(problem):
    params, X, Y = problem
    kink = lambda p, X, Y, **kw: hg.backprop.mlp1_forward_batch(p, X).z
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hg.check_gradients(
            hg.mlp1_objective, hg.mlp1_hand_grads, params, (X, Y), {"lam": 0.1}, kink_inputs=kink
        )


def test_float32_mode_and_float64_witness(problem):
    params, X, Y = problem
    report = hg.check_gradients(
        hg.mlp1_objective, hg.mlp1_hand_grads, params, (X, Y), {"lam": 0.1}, dtype=jnp.float32
    )
    assert report.dtype == "float32" and report.rtol == 1e-5
    worst = max(leaf.grad for leaf in report.leaves)
    assert 1e-10 < worst <= 1e-5  # float32 rounding is visible, and small


def test_runs_in_float64_even_when_x64_is_off():
    with jax.enable_x64(False):
        w, X, Y = jnp.ones(3), jnp.ones((4, 3)), jnp.zeros(4)
        report = hg.check_gradients(hg.linear_objective, hg.linear_hand_grad, w, (X, Y))
        assert jnp.ones(1).dtype == jnp.float32  # the setting is restored
    assert report.passed and report.leaves[0].grad <= 1e-12


def test_works_on_a_bare_array_and_an_untraceable_hand_gradient():
    import numpy as np

    numpy_grad = lambda w: jnp.asarray(3 * np.asarray(w) ** 2)
    report = hg.check_gradients(
        lambda w: jnp.sum(w**3), numpy_grad, jnp.arange(1.0, 4.0), jit=False
    )
    assert report.passed and report.leaves[0].path == "params"


def test_unsupported_dtype():
    with pytest.raises(ValueError, match="dtype must be one of"):
        hg.check_gradients(jnp.sum, jnp.ones_like, jnp.ones(2), dtype=jnp.float16)


def test_float32_checks_run_in_float32_and_leave_the_flag_alone():
    seen = []

    def hand(w, X, Y):
        seen.append((jax.config.jax_enable_x64, jnp.asarray(1.0).dtype))
        return hg.linear_hand_grad(w, X, Y)

    with jax.enable_x64(False):
        w, X, Y = jnp.ones(3), jnp.ones((4, 3)), jnp.arange(4.0)
        report = hg.check_gradients(hg.linear_objective, hand, w, (X, Y), dtype=jnp.float32)
        assert not jax.config.jax_enable_x64
    assert seen == [(False, jnp.float32)]  # the hand gradient ran in float32 mode
    assert report.passed and report.leaves[0].fd <= 1e-4  # against the float64 witness
