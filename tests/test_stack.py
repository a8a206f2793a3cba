"""Hand backprop through stacks of any depth and through a graph with fan-out."""

import jax
import jax.numpy as jnp
import pytest

import handgrad as hg
from helpers import hash_seed, randn, rel_err

ACTS = ["relu", "tanh", "sigmoid", "softplus", "leaky_relu", "identity"]


def random_stack(depth, key, width=4):
    """depth × (linear, h) with varying widths, then a linear module to 3 outputs."""
    modules, params, n_in, seed = [], [], width, 10 * hash_seed(key)
    for k in range(depth):
        n_out = 2 + (k * 3) % 5
        bias = k % 2 == 0
        w = {"W": randn(seed + k, (n_out, n_in)) / n_in**0.5}
        if bias:
            w["b"] = randn(seed + k + 100, (n_out,))
        modules += [
            hg.backprop.linear_module(bias),
            hg.backprop.activation_module(ACTS[k % len(ACTS)]),
        ]
        params += [w, {}]
        n_in = n_out
    modules.append(hg.backprop.linear_module(False))
    params.append({"W": randn(seed - 1, (3, n_in))})
    return modules, params


def run_from(modules, params, k, z):
    for f, w in zip(modules[k:], params[k:]):
        z = f.forward(z, w)
    return z


@pytest.mark.parametrize("loss", sorted(hg.models.COSTS))
@pytest.mark.parametrize("depth", range(1, 7))
def test_every_state_and_weight_gradient_equals_jax_grad(depth, loss):
    modules, params = random_stack(depth, jax.random.key(depth))
    cost = hg.backprop.cost_module(loss)
    X = randn(10, (5, 4))
    Y = jnp.array([0, 2, 1, 1, 0]) if loss == "softmax_cross_entropy" else randn(11, (5, 3))
    _c, dz, dw = hg.backprop.stack_cost_grads(modules, cost, params, X, Y)
    states = hg.stack_forward(modules, params, X)
    assert len(dz) == len(states) and len(dw) == len(modules)
    for k, z in enumerate(states):  # ∂c/∂z_k: the rest of the stack, differentiated at z_k
        auto = jax.grad(lambda z_, k=k: cost.forward(run_from(modules, params, k, z_), Y))(z)
        assert rel_err(dz[k], auto) <= 1e-12, k
    auto_w = jax.grad(lambda p: cost.forward(run_from(modules, p, 0, X), Y))(params)
    for k in range(len(modules)):
        for a, b in zip(jax.tree_util.tree_leaves(dw[k]), jax.tree_util.tree_leaves(auto_w[k])):
            assert rel_err(a, b) <= 1e-12, k


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_explicit_jacobian_chain_equals_vjp_chain(depth):
    modules, params = random_stack(depth, jax.random.key(depth + 20))
    x = randn(1, (4,))
    states = hg.stack_forward(modules, params, x)
    g = randn(2, states[-1].shape)
    dz, dw = hg.stack_backward(modules, params, states, g)
    dz_rows, dw_rows = hg.backprop.stack_backward_jacobians(modules, params, states, g[None, :])
    for a, b in zip(dz_rows, dz):
        assert a.shape == (1, b.size) and rel_err(a[0], b) <= 1e-12
    for w, row, grad in zip(params, dw_rows, dw):
        for a, b in zip(
            jax.tree_util.tree_leaves(hg.backprop.unravel_like(w, row)),
            jax.tree_util.tree_leaves(grad),
        ):
            assert rel_err(a, b) <= 1e-12


def residual_graph():
    """x → linear → s1 → relu → z1; z1 feeds both a second block and the sum r = z1 + z2."""
    nodes = [
        hg.backprop.Node("s1", hg.backprop.linear_module(), ("x",), "layer1"),
        hg.backprop.Node("z1", hg.backprop.activation_module("relu"), ("s1",)),
        hg.backprop.Node("s2", hg.backprop.linear_module(), ("z1",), "layer2"),
        hg.backprop.Node("z2", hg.backprop.activation_module("tanh"), ("s2",)),
        hg.backprop.Node("r", None, ("z1", "z2")),
        hg.backprop.Node("o", hg.backprop.linear_module(False), ("r",), "out"),
    ]
    k = jax.random.split(jax.random.key(7), 5)
    params = {
        "layer1": {"W": jax.random.normal(k[0], (4, 3)), "b": jax.random.normal(k[1], (4,))},
        "layer2": {"W": jax.random.normal(k[2], (4, 4)), "b": jax.random.normal(k[3], (4,))},
        "out": {"W": jax.random.normal(k[4], (2, 4))},
    }
    return nodes, params


def test_fan_out_gradients_add_up():
    nodes, params = residual_graph()
    x, y = jax.random.normal(jax.random.key(8), (6, 3)), jnp.array([0, 1, 1, 0, 1, 0])
    cost = hg.backprop.cost_module("softmax_cross_entropy")
    values = hg.backprop.graph_forward(nodes, params, {"x": x})
    dv, dp = hg.backprop.graph_backward(nodes, params, values, {"o": cost.vjp(values["o"], y)})

    def J(params, x):
        return cost.forward(hg.backprop.graph_forward(nodes, params, {"x": x})["o"], y)

    auto_p, auto_x = jax.grad(J, argnums=(0, 1))(params, x)
    assert rel_err(dv["x"], auto_x) <= 1e-12
    for name in params:
        for a, b in zip(
            jax.tree_util.tree_leaves(dp[name]), jax.tree_util.tree_leaves(auto_p[name])
        ):
            assert rel_err(a, b) <= 1e-12, name
    # z1 fans out: its gradient is the sum over its two consumers, and neither alone.
    via_sum = dv["r"]
    via_block, _ = nodes[2].module.vjp(values["z1"], params["layer2"], dv["s2"])
    assert rel_err(dv["z1"], via_sum + via_block) <= 1e-12
    assert rel_err(dv["z1"], via_sum) > 0.01 and rel_err(dv["z1"], via_block) > 0.01


def test_shared_weights_accumulate_too():
    layer = hg.backprop.linear_module()
    nodes = [
        hg.backprop.Node("a", layer, ("x",), "W"),
        hg.backprop.Node("b", hg.backprop.activation_module("tanh"), ("a",)),
        hg.backprop.Node("c", layer, ("b",), "W"),
    ]
    params = {"W": {"W": jax.random.normal(jax.random.key(1), (3, 3)), "b": jnp.ones(3)}}
    x = jax.random.normal(jax.random.key(2), (3,))
    values = hg.backprop.graph_forward(nodes, params, {"x": x})
    _, dp = hg.backprop.graph_backward(nodes, params, values, {"c": jnp.ones(3)})
    auto = jax.grad(lambda p: jnp.sum(hg.backprop.graph_forward(nodes, p, {"x": x})["c"]))(params)
    assert (
        rel_err(dp["W"]["W"], auto["W"]["W"]) <= 1e-12
        and rel_err(dp["W"]["b"], auto["W"]["b"]) <= 1e-12
    )


def test_bad_graphs_and_stacks_are_named():
    with pytest.raises(ValueError, match=r"node 'b' reads \['a'\] before they are defined"):
        hg.backprop.graph_forward(
            [hg.backprop.Node("b", hg.backprop.activation_module("tanh"), ("a",))],
            {},
            {"x": jnp.ones(2)},
        )
    with pytest.raises(ValueError, match=r"uses params\['W'\], which is missing"):
        hg.backprop.graph_forward(
            [hg.backprop.Node("a", hg.backprop.linear_module(), ("x",), "W")],
            {},
            {"x": jnp.ones(2)},
        )
    with pytest.raises(ValueError, match="the stack has 2 modules but 1 parameter entries"):
        hg.stack_forward(
            [hg.backprop.linear_module(), hg.backprop.activation_module("relu")], [{}], jnp.ones(2)
        )
