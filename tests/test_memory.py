"""d2l's exercise 3: the memory note's numbers against the arrays actually stored."""

import itertools

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg


@pytest.mark.parametrize("widths", [[5, 3], [64, 256, 10], [6, 8, 7, 5, 2], [600, 60, 40, 10]])
@pytest.mark.parametrize("P", [1, 32])
def test_training_memory_is_what_the_forward_pass_keeps(widths, P):
    params = hg.mlp_init(jax.random.key(0), widths)
    states = hg.backprop.mlp_forward_batch(params, jnp.ones((P, widths[0]), jnp.float32))
    note = hg.exercises.mlp_memory(widths, P)
    assert note.training == sum(s.size for s in states)
    assert note.params == sum(a.size for a in jax.tree_util.tree_leaves(params))
    assert sum(note.training_per_layer) == sum(s.size for s in states[1:])
    assert len(note.training_per_layer) == len(params)
    assert note.prediction_peak == max(a.size + b.size for a, b in itertools.pairwise(states))


def test_training_needs_more_than_prediction_and_scales_with_depth_and_batch():
    shallow, deep = (
        hg.exercises.mlp_memory([64, 256, 10], 128),
        hg.exercises.mlp_memory([64] + [256] * 6 + [10], 128),
    )
    assert deep.training > 5 * shallow.training  # grows with depth
    assert deep.prediction_peak == shallow.prediction_peak == 128 * 512  # does not
    assert hg.exercises.mlp_memory([64, 256, 10], 256).training == 2 * shallow.training
    assert shallow.training > shallow.prediction_peak


def test_bias_free_parameter_count():
    assert hg.exercises.mlp_memory([64, 256, 10], 1, bias=False).params == 64 * 256 + 256 * 10
