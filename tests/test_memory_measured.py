from functools import partial

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import randn, rel_err


def report(widths, P, **kw):
    return hg.exercises.measure_mlp_memory(widths, P, **kw)


def test_what_jax_grad_keeps_is_what_the_hand_backward_keeps_plus_relus_masks():
    # residuals = parameters + X + (S_k, Z_k per hidden layer, S_L) + one bool per ReLU input
    for widths, P in (([64, 256, 10], 1024), ([64, 256, 256, 256, 10], 256), ([16, 32, 8], 64)):
        r = report(widths, P)
        x_bytes, mask_bytes = P * widths[0] * 4, P * sum(widths[1:-1])
        kept_by_grad = r.residuals - r.params - x_bytes
        kept_by_hand = r.counted_training - x_bytes
        assert kept_by_hand <= kept_by_grad <= kept_by_hand + mask_bytes + 64 * P, (widths, P)


def test_training_memory_grows_with_layers_times_batch_and_prediction_does_not_with_depth():
    def kept(depth, P):
        r = report([64] + [128] * depth + [10], P)
        return (
            r.residuals - r.params,
            r.xla_training["temporaries"],
            r.xla_prediction["temporaries"],
        )

    (g1, x1, p1), (g2, x2, p2), (g3, x3, p3), (g1b, x1b, p1b) = (
        kept(1, 256),
        kept(2, 256),
        kept(3, 256),
        kept(1, 1024),
    )
    assert g3 - g2 == g2 - g1 > 0 and 3.99 < g1b / g1 < 4.01  # linear in depth, ∝ the batch
    assert 0.9 < (x3 - x2) / (x2 - x1) < 1.1 and 3.5 < x1b / x1 < 4.5  # XLA allocates alike
    assert (
        p1 <= p2 == p3 and p1b == 4 * p1
    )  # prediction: the batch counts, depth does not (past one
    # hidden layer: with one, φ fuses into the product and a single buffer suffices)


def test_xla_allocates_about_what_we_count_at_a_large_batch():
    r = report([64, 256, 256, 10], 1024)
    counted = r.counted_training - 1024 * 64 * 4  # X is an argument, not a temporary
    assert 0.8 < r.xla_training["temporaries"] / counted < 1.25
    assert r.xla_training["arguments"] >= r.params + 1024 * 64 * 4  # params, X and the labels
    assert r.xla_training["outputs"] >= r.params  # the gradients (and J)
    assert r.xla_prediction["temporaries"] <= r.counted_prediction  # fusion only saves


def test_remat_keeps_less_and_changes_nothing_else():
    layers = [
        {"W": randn(k, (m, n)), "b": randn(10 + k, (m,))}
        for k, (n, m) in enumerate([(6, 8), (8, 8), (8, 8), (8, 3)])
    ]
    X, Y = randn(1, (10, 6)), jnp.arange(10) % 3
    kw = dict(activation="tanh", loss="softmax_cross_entropy", lam=0.1)
    J, g = jax.jit(jax.value_and_grad(partial(hg.mlp_objective, **kw)))(layers, X, Y)
    for every in (0, 1, 2, 3):
        J_r, g_r = jax.jit(
            jax.value_and_grad(partial(hg.exercises.remat_objective, every=every, **kw))
        )(layers, X, Y)
        assert abs(float(J_r - J)) <= 1e-14 * abs(float(J))
        assert (
            rel_err(jax.flatten_util.ravel_pytree(g_r)[0], jax.flatten_util.ravel_pytree(g)[0])
            < 1e-12
        )
    plain, per_layer, whole = (
        report([64] + [128] * 4 + [10], 512, remat_every=k) for k in (0, 1, 4)
    )
    assert per_layer.residuals - plain.params < 0.6 * (plain.residuals - plain.params)
    assert whole.residuals < per_layer.residuals


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="every must be a non-negative integer"):
        hg.exercises.remat_objective(
            [{"W": jnp.ones((2, 2))}], jnp.ones((1, 2)), jnp.zeros(1, jnp.int32), every=-1
        )
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        hg.exercises.measure_mlp_memory([2, 3, 2], 0)


def test_residual_bytes_of_a_function_that_keeps_nothing():
    assert (
        hg.exercises.residual_bytes(lambda w: jnp.sum(w), jnp.ones(5)) == 0
    )  # a sum needs no residual
    assert (
        hg.exercises.residual_bytes(lambda w: jnp.sum(w * w), jnp.ones(5, jnp.float32)) == 5 * 4
    )  # w, once though w · w uses it twice (float32)


def test_the_scanned_form_is_the_same_objective_with_and_without_remat():
    sizes = [(5, 7), (7, 7), (7, 7), (7, 7), (7, 3)]
    layers = [{"W": randn(k, (m, n)), "b": randn(20 + k, (m,))} for k, (n, m) in enumerate(sizes)]
    X, Y = randn(1, (9, 5)), jnp.arange(9) % 3
    kw = dict(activation="tanh", loss="softmax_cross_entropy", lam=0.1)
    J, g = jax.jit(jax.value_and_grad(partial(hg.mlp_objective, **kw)))(layers, X, Y)
    for remat in (False, True):
        J_s, g_s = jax.jit(
            jax.value_and_grad(partial(hg.exercises.scan_objective, remat=remat, **kw))
        )(layers, X, Y)
        assert abs(float(J_s - J)) <= 1e-14 * abs(float(J))
        assert (
            rel_err(jax.flatten_util.ravel_pytree(g_s)[0], jax.flatten_util.ravel_pytree(g)[0])
            < 1e-12
        )


def test_remat_inside_a_scan_survives_compilation_and_allocates_less():
    widths, P = [32] + [64] * 6 + [10], 256
    layers = jax.eval_shape(lambda: hg.mlp_init(jax.random.key(0), widths, bias=True))
    X, Y = jax.ShapeDtypeStruct((P, 32), jnp.float32), jax.ShapeDtypeStruct((P,), jnp.int32)
    temps, dots = {}, {}
    for remat in (False, True):
        step = jax.value_and_grad(partial(hg.exercises.scan_objective, remat=remat))
        temps[remat] = hg.exercises.xla_memory(step, layers, X, Y)["temporaries"]
        dots[remat] = jax.jit(step).lower(layers, X, Y).compile().as_text().count(" dot(")
    assert dots[True] > dots[False]  # the recomputed forward product is still there
    assert temps[True] < temps[False]  # and what it buys: less memory


def test_the_scanned_form_needs_equal_square_hidden_layers():
    layers = [
        {"W": jnp.ones((4, 3))},
        {"W": jnp.ones((5, 4))},
        {"W": jnp.ones((5, 5))},
        {"W": jnp.ones((2, 5))},
    ]
    with pytest.raises(ValueError, match="scans equal square hidden layers"):
        hg.exercises.scan_objective(layers, jnp.ones((2, 3)), jnp.zeros(2, jnp.int32))
