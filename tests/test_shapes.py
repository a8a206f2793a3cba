import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import randn


@pytest.mark.parametrize("n, m", [(1, 1), (3, 2), (2, 5), (4, 1)])
def test_the_gradient_of_a_scalar_of_an_n_by_m_matrix_is_n_by_m(n, m):
    f = lambda X: jnp.sum(jnp.tanh(X) @ jnp.ones((m, 2)))
    X = randn(n, (n, m))
    assert hg.check.gradient_shape(f, X) == (n, m) == jax.grad(f)(X).shape


def test_pytrees_leaf_by_leaf():
    params = {"W1": jnp.ones((3, 4)), "W2": jnp.ones((2, 3))}
    X, Y = randn(0, (5, 4)), jnp.arange(5) % 2
    shapes = hg.check.gradient_shape(hg.mlp1_objective, params, X, Y, lam=0.1)
    assert shapes == {"W1": (3, 4), "W2": (2, 3)}


def test_a_vector_valued_function_has_a_jacobian_not_a_gradient():
    with pytest.raises(
        ValueError, match="must return a scalar to have a gradient, got shape \\(3,\\)"
    ):
        hg.check.gradient_shape(lambda X: X @ jnp.ones(2), jnp.ones((3, 2)))


def test_a_transposed_leaf_is_named_with_the_rule_and_the_hint():
    params = {"W1": jnp.ones((3, 4)), "W2": jnp.ones((2, 3))}
    with pytest.raises(ValueError) as e:
        hg.check.check_gradient_shapes(
            params, {"W1": jnp.ones((4, 3)), "W2": jnp.ones((2, 3))}, name="my_grads"
        )
    message = str(e.value)
    assert "my_grads leaf W1 has shape (4, 3), expected (3, 4)" in message
    assert "has that array's shape" in message and "it is the transpose" in message


def test_a_wrong_shape_that_is_not_a_transpose_gets_no_transpose_hint():
    with pytest.raises(ValueError) as e:
        hg.check.check_gradient_shapes([jnp.ones((3, 4))], [jnp.ones(12)])
    assert "leaf 0 has shape (12,), expected (3, 4)" in str(e.value) and "transpose" not in str(
        e.value
    )


def test_a_missing_leaf_is_a_structure_error():
    with pytest.raises(ValueError, match=r"returned a pytree .* expected one like params"):
        hg.check.check_gradient_shapes({"W1": jnp.ones(2), "W2": jnp.ones(2)}, {"W1": jnp.ones(2)})


def test_matching_shapes_pass_silently():
    params = {"W1": jnp.ones((3, 4)), "b1": jnp.ones(3)}
    assert (
        hg.check.check_gradient_shapes(params, jax.tree_util.tree_map(jnp.zeros_like, params))
        is None
    )


def test_the_gradient_harness_explains_a_transposed_hand_gradient():
    params = {"W1": randn(1, (3, 4)), "W2": randn(2, (2, 3))}
    X, Y = randn(3, (5, 4)), jnp.arange(5) % 2

    def transposed(p, X, Y, **kw):  # the classic slip: x δᵀ instead of δ xᵀ
        g = hg.mlp1_hand_grads(p, X, Y, **kw)
        return {**g, "W1": g["W1"].T}

    with pytest.raises(
        ValueError, match=r"hand_grad leaf W1 has shape \(4, 3\), expected \(3, 4\).*transpose"
    ):
        hg.check_gradients(hg.mlp1_objective, transposed, params, (X, Y), {"lam": 0.1})
