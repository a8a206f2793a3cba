"""Backprop through a graph where one value feeds several modules (fan-out).

When a value z feeds two modules, a perturbation dz moves both, so c moves by the sum of
the two effects and ∂c/∂z is the *sum* of the gradients coming back along each edge —
the same sum the lecture writes for a weighted sum, dC/dz = Σᵢ dC/ds[i] · w[i]. Small
autograd engines that assign (``z.grad = …``) instead of accumulate (``z.grad += …``)
get this wrong. The same holds for a weight shared by two modules.

A graph is a list of ``Node`` in topological order. A node applies a module to one
input, or sums several inputs (``module=None``: a fan-in, e.g. a residual connection).

>>> import jax.numpy as jnp
>>> from handgrad.backprop.modules import activation_module
>>> nodes = [Node("a", activation_module("tanh"), ("x",)),
...          Node("b", activation_module("identity"), ("x",)),
...          Node("y", None, ("a", "b"))]
>>> values = graph_forward(nodes, {}, {"x": jnp.zeros(2)})
>>> grads, _ = graph_backward(nodes, {}, values, {"y": jnp.ones(2)})
>>> grads["x"].tolist()  # 1 through tanh at 0, plus 1 through identity
[2.0, 2.0]
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from handgrad.backprop.modules import Module


class Node(NamedTuple):
    """``name = module(inputs[0], params[param])``, or the sum of ``inputs`` if no module."""

    name: str
    module: Module | None
    inputs: tuple[str, ...]
    param: str | None = None


def _check_graph(nodes: Sequence[Node], params: Mapping, sources) -> None:
    defined = set(sources)
    for node in nodes:
        missing = [i for i in node.inputs if i not in defined]
        if missing:
            raise ValueError(
                f"node {node.name!r} reads {missing} before they are defined; "
                "list the nodes in topological order"
            )
        if node.name in defined:
            raise ValueError(f"node {node.name!r} is defined twice")
        if node.module is not None and len(node.inputs) != 1:
            raise ValueError(f"module node {node.name!r} takes one input, got {len(node.inputs)}")
        if node.param is not None and node.param not in params:
            raise ValueError(f"node {node.name!r} uses params[{node.param!r}], which is missing")
        defined.add(node.name)


def _weights(node: Node, params: Mapping) -> Any:
    return {} if node.param is None else params[node.param]


def graph_forward(
    nodes: Sequence[Node], params: Mapping[str, Any], sources: Mapping[str, jax.Array]
) -> dict[str, jax.Array]:
    """Every value of the graph: the sources and one per node."""
    _check_graph(nodes, params, sources)
    values = dict(sources)
    for node in nodes:
        if node.module is None:
            values[node.name] = functools.reduce(jnp.add, (values[i] for i in node.inputs))
        else:
            values[node.name] = node.module.forward(values[node.inputs[0]], _weights(node, params))
    return values


def _add(acc: dict, key: str, g: Any) -> None:
    acc[key] = g if key not in acc else jax.tree_util.tree_map(jnp.add, acc[key], g)


def graph_backward(
    nodes: Sequence[Node],
    params: Mapping[str, Any],
    values: Mapping[str, jax.Array],
    seeds: Mapping[str, jax.Array],
) -> tuple[dict[str, jax.Array], dict[str, Any]]:
    r"""Hand backprop through the graph, accumulating wherever a value fans out.

    Walking the nodes backwards, a value :math:`v` collects the gradient of every node
    :math:`u` that reads it, and a parameter entry :math:`w` that of every node that uses
    it (a sum node passes its gradient unchanged to each input):

    .. math::

        \frac{\partial c}{\partial v} = \sum_{u \text{ reads } v}
            \frac{\partial c}{\partial u}\, \frac{\partial u}{\partial v}
        \qquad
        \frac{\partial c}{\partial w} = \sum_{u \text{ uses } w}
            \frac{\partial c}{\partial u}\, \frac{\partial u}{\partial w}

    Args:
      nodes, params: the graph and its parameters.
      values: the output of ``graph_forward``.
      seeds: ∂c/∂v for the values the cost reads directly (usually the output).

    Returns:
      (∂c/∂v for every value, ∂c/∂w for every parameter entry), zeros where c does not
      depend on it.
    """
    _check_graph(nodes, params, [v for v in values if v not in {n.name for n in nodes}])
    dv: dict[str, Any] = {}
    dp: dict[str, Any] = {}
    for name, g in seeds.items():
        _add(dv, name, g)
    for node in reversed(nodes):
        if node.name not in dv:
            continue
        g = dv[node.name]
        if node.module is None:
            for i in node.inputs:
                _add(dv, i, g)
            continue
        g_in, g_w = node.module.vjp(values[node.inputs[0]], _weights(node, params), g)
        _add(dv, node.inputs[0], g_in)
        if node.param is not None:
            _add(dp, node.param, g_w)
    dv = {k: dv.get(k, jnp.zeros_like(v)) for k, v in values.items()}
    dp = {k: dp.get(k, jax.tree_util.tree_map(jnp.zeros_like, w)) for k, w in params.items()}
    return dv, dp
