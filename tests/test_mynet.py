"""The lecture's mynet in pure JAX, against its hand backprop and against PyTorch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import handgrad as hg
from helpers import rel_err


@pytest.fixture
def net():
    params = hg.mynet_init(jax.random.key(0), dtype=jnp.float64)
    image = jax.random.normal(jax.random.key(1), (3, 10, 20), jnp.float64)
    return params, image


def test_shapes_and_pytorch_like_init(net):
    params, image = net
    assert [layer["W"].shape for layer in params] == [(60, 600), (40, 60), (10, 40)]
    assert [layer["b"].shape for layer in params] == [(60,), (40,), (10,)]
    for layer, fan_in in zip(params, (600, 60, 40)):
        assert float(jnp.max(jnp.abs(layer["W"]))) <= fan_in**-0.5
        assert float(jnp.max(jnp.abs(layer["b"]))) <= fan_in**-0.5
    assert hg.mynet(image, params).shape == (10,)
    with pytest.raises(
        ValueError,
        match=r"image.shape\[2\] has size 21 but mynet's input of shape \(3, 10, 20\) needs 20",
    ):
        hg.mynet(jnp.zeros((3, 10, 21), jnp.float64), params)


def test_module_stack_with_flatten_gives_the_same_outputs_and_hand_gradients(net):
    params, image = net
    modules, entries = hg.backprop.mynet_modules(params)
    states = hg.stack_forward(modules, entries, image)
    assert states[1].shape == (600,)
    assert rel_err(states[-1], hg.mynet(image, params)) <= 1e-14
    cost, y = hg.backprop.cost_module("softmax_cross_entropy"), jnp.asarray(7)
    _, dz, dw = hg.backprop.stack_cost_grads(modules, cost, params=entries, z0=image, y=y)
    J = lambda p, x: hg.softmax_cross_entropy(y, hg.mynet(x, p))
    auto_p, auto_x = jax.grad(J, argnums=(0, 1))(params, image)
    assert dz[0].shape == image.shape and rel_err(dz[0], auto_x) <= 1e-12
    hand = [g for g in dw if g]
    for k in range(3):
        for name in ("W", "b"):
            assert rel_err(hand[k][name], auto_p[k][name]) <= 1e-12


def test_equals_the_seeds_pytorch_mynet(net):
    torch = pytest.importorskip("torch")
    from torch import nn

    class mynet(nn.Module):  # the seed's code, verbatim
        def __init__(self, d0, d1, d2, d3):
            super().__init__()
            self.m0 = nn.Linear(d0, d1)
            self.m1 = nn.Linear(d1, d2)
            self.m2 = nn.Linear(d2, d3)

        def forward(self, x):
            z0 = x.view(-1)  # flatten input tensor
            s1 = self.m0(z0)
            z1 = torch.relu(s1)
            s2 = self.m1(z1)
            z2 = torch.relu(s2)
            s3 = self.m2(z2)
            return s3

    params, image = net
    model = mynet(600, 60, 40, 10).double()
    with torch.no_grad():
        for m, layer in zip((model.m0, model.m1, model.m2), params):
            m.weight.copy_(torch.tensor(np.asarray(layer["W"])))
            m.bias.copy_(torch.tensor(np.asarray(layer["b"])))
    x = torch.tensor(np.asarray(image), requires_grad=True)
    out = model(x)
    assert rel_err(out.detach().numpy(), hg.mynet(image, params)) <= 1e-12

    label = 3
    loss = nn.functional.cross_entropy(out[None, :], torch.tensor([label]))
    loss.backward()
    assert (
        abs(
            loss.item()
            - float(hg.softmax_cross_entropy(jnp.asarray(label), hg.mynet(image, params)))
        )
        <= 1e-12
    )
    X, Y = image.reshape(1, -1), jnp.asarray([label])
    hand = hg.mlp_hand_grads(params, X, Y, activation="relu", loss="softmax_cross_entropy")
    for m, g in zip((model.m0, model.m1, model.m2), hand):
        assert rel_err(m.weight.grad.numpy(), g["W"]) <= 1e-12
        assert rel_err(m.bias.grad.numpy(), g["b"]) <= 1e-12
    modules, entries = hg.backprop.mynet_modules(params)
    _, dz, _ = hg.backprop.stack_cost_grads(
        modules,
        hg.backprop.cost_module("softmax_cross_entropy"),
        entries,
        image,
        jnp.asarray(label),
    )
    assert rel_err(x.grad.numpy(), dz[0]) <= 1e-12
