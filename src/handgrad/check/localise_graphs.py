"""Which formula is wrong, for the lecture's graphs: a stack of modules, and a graph with fan-out.

The same walk as ``handgrad.check.localise`` (reports, tolerance, catalogue ``MISTAKES``), for
``handgrad.backprop.stack`` — the per-module ∂c/∂z_k = ∂c/∂z_{k+1} · ∂f_k/∂z_k and
∂c/∂w_k = ∂c/∂z_{k+1} · ∂f_k/∂w_k, walked from z_K down — and for ``handgrad.backprop.fan_out``,
where a value read by several nodes gets the *sum* of what comes back along each edge. The
references are one ``jax.vjp`` of the forward pass with a zero perturbation added to every
state or value; a candidate mistake is built from the correct gradient at the module's output:
φ in place of φ′ at an activation, a wrong transpose at a linear module, a mean over the batch
instead of the sum, a fan-out that kept one edge's gradient ("overwritten fan-out"), a wrong sign.

Gradients are the lecture's row vectors ("it is a row vector instead of a column vector"), one
sample per row of a batch, so a linear module's rule ∂c/∂z_k = ∂c/∂z_{k+1} W_k is printed as the
lecture writes it; d2l's column-vector form of the same rule is W_kᵀ ∂c/∂z_{k+1}.

>>> import jax.numpy as jnp
>>> from handgrad.backprop import activation_module, cost_module, linear_module
>>> modules = [linear_module(), activation_module("tanh"), linear_module(False)]
>>> params = [{"W": jnp.eye(2), "b": jnp.ones(2)}, {}, {"W": jnp.ones((1, 2))}]
>>> report = localise_stack(modules, cost_module("squared_error"), params,
...                         jnp.array([[0.5, -1.0]]), jnp.array([[1.0]]))
>>> [n.name for n in report.nodes]
['∂c/∂z₃', '∂c/∂z₂', '∂c/∂W₂', '∂c/∂z₁', '∂c/∂z₀', '∂c/∂W₀', '∂c/∂b₀']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from handgrad.backprop.cost_module import CostModule
from handgrad.backprop.fan_out import Node, graph_backward, graph_forward
from handgrad.backprop.modules import Module
from handgrad.backprop.stack import stack_backward, stack_forward
from handgrad.check.localise import (
    RTOL,
    SIGN,
    LocaliseReport,
    as_float64,
    raise_on_mismatch,
    walk,
)
from handgrad.check.shapes import leaf_names
from handgrad.models.activations import ACTIVATIONS

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class ModuleRules(NamedTuple):
    """A module's backward rules by name, with the catalogue's variants of each.

    ``dz`` and each ``dw[leaf]`` are (rule, [(mistake, formula, thunk), …]); the thunks build
    the value the mistake gives from the correct gradient g at the module's output.
    """

    dz: tuple[str, list]
    dw: dict[str, tuple[str, list]]


def module_rules(module: Module, z, w, g, g_name: str, z_name: str, k: str = "") -> ModuleRules:
    """The rules of ``module`` at input ``z``, weights ``w`` and output gradient ``g``.

    Names: ``g_name`` (e.g. ∂c/∂z₂), ``z_name`` (z₁) and ``k``, the subscript of the weights.
    """
    P = math.prod(g.shape[:-1])
    if module.name in ACTIVATIONS:
        phi, dphi = ACTIVATIONS[module.name]
        f = module.name  # the lecture's h, d2l's φ
        return ModuleRules((f"{g_name} ⊙ {f}′({z_name})", [
            ("φ in place of φ′", f"{g_name} ⊙ {f}({z_name})", lambda: g * phi(z)),
            ("φ′ at the output", f"{g_name} ⊙ {f}′({f}({z_name}))", lambda: g * dphi(phi(z))),
        ]), {})  # fmt: skip
    if module.name == "linear":
        W = w["W"]
        data = jnp.einsum("...o,...i->oi", g, z)
        dw = {"W": (f"Σ_batch ({g_name})ᵀ {z_name}", [
            ("wrong transpose", f"Σ_batch {z_name}ᵀ {g_name}", lambda: data.T),
            ("mean instead of sum", f"1/P · Σ_batch ({g_name})ᵀ {z_name}", lambda: data / P),
        ])}  # fmt: skip
        if "b" in w:
            db = jnp.sum(g, axis=tuple(range(g.ndim - 1)))
            dw["b"] = (f"Σ_batch {g_name}", [
                ("mean instead of sum", f"1/P · Σ_batch {g_name}", lambda: db / P)])  # fmt: skip
        dz = (f"{g_name} W{k}", [("wrong transpose", f"{g_name} W{k}ᵀ", lambda: g @ W.T)])
        return ModuleRules(dz, dw)
    generic = f"{g_name} · ∂{module.name}/∂{z_name}"
    leaves = leaf_names(w) if jax.tree_util.tree_leaves(w) else []
    return ModuleRules(
        (generic, []), {leaf: (f"{g_name} · ∂{module.name}/∂{leaf}", []) for leaf in leaves}
    )


def _pull_back(c: Callable, params: Any, eps: Any) -> tuple:
    """(∂c/∂params, ∂c/∂ε) by one ``jax.vjp``, compiled as one program: cheaper than the many
    small programs that running it op by op compiles for every new shape."""
    return jax.jit(lambda p, e: jax.vjp(c, p, e)[1](jnp.ones(())))(params, eps)


def _leaves_like(what: str, tree: Any, like: Any) -> list:
    if jax.tree_util.tree_structure(tree) != jax.tree_util.tree_structure(like):
        raise ValueError(
            f"{what} is not structured like its parameters: got "
            f"{jax.tree_util.tree_structure(tree)}, expected {jax.tree_util.tree_structure(like)}"
        )
    return jax.tree_util.tree_leaves(tree)


def localise_stack(
    modules: Sequence[Module],
    cost: CostModule,
    params: Sequence[Any],
    z0: Any,
    y: Any,
    backward: Callable[..., tuple[list, list]] = stack_backward,
    *,
    rtol: float = RTOL,
    raise_on_failure: bool = False,
) -> LocaliseReport:
    """Checks a stack's backward module by module: ∂c/∂z_K, then ∂c/∂z_k and ∂c/∂w_k for k = K−1 … 0.

    Args:
      modules, cost, params: the stack, its cost module and one parameter entry per module.
        The hand ∂c/∂z_K is ``cost.vjp`` (to test one, build
        ``CostModule(cost.name, cost.forward, my_vjp, cost.jacobian)``).
      z0, y: the input (one sample, or a batch with leading axes) and the target.
      backward: the hand backward under test, ``stack_backward``'s signature and return value.
      rtol, raise_on_failure: as for ``localise_mlp1``.

    Raises:
      ValueError: for a malformed stack, or a backward that returns the wrong number of
        gradients or weight gradients not shaped like the parameters.
      DerivationError: with ``raise_on_failure``, naming the first wrong node.
    """
    with jax.enable_x64(True):
        params, z0, y = as_float64(list(params)), as_float64(z0), as_float64(y)
        states = stack_forward(modules, params, z0)
        K = len(modules)
        dz, dw = backward(modules, params, states, cost.vjp(states[-1], y))
        if len(dz) != K + 1 or len(dw) != K:
            raise ValueError(
                f"backward must return {K + 1} state gradients and {K} weight gradients, "
                f"got {len(dz)} and {len(dw)}"
            )

        def c(params, eps):
            z = z0 + eps[0]
            for f, w, e in zip(modules, params, eps[1:]):
                z = f.forward(z, w) + e
            return cost.forward(z, y)

        ref_w, ref_z = _pull_back(c, params, [jnp.zeros_like(s) for s in states])
        P = math.prod(states[-1].shape[:-1])
        top = f"∂c/∂z{str(K).translate(_SUB)}"
        entries = [(top, "1/P · ∂C/∂ȳ", dz[K], ref_z[K], [
            ("missing 1/P", "∂C/∂ȳ", lambda: P * ref_z[K]), (*SIGN, lambda: -ref_z[K])])]  # fmt: skip
        for k in reversed(range(K)):
            sub, up = str(k).translate(_SUB), str(k + 1).translate(_SUB)
            rules = module_rules(modules[k], states[k], params[k], ref_z[k + 1], f"∂c/∂z{up}",
                                 f"z{sub}", sub)  # fmt: skip
            entries.append(_entry(f"∂c/∂z{sub}", rules.dz, dz[k], ref_z[k]))
            hand_leaves = _leaves_like(f"∂c/∂w{sub}", dw[k], params[k])
            for leaf, hand, ref in zip(
                leaf_names(params[k]), hand_leaves, jax.tree_util.tree_leaves(ref_w[k])
            ):
                entries.append(_entry(f"∂c/∂{leaf}{sub}", rules.dw[leaf], hand, ref))
        report = walk(entries, rtol)
    return raise_on_mismatch(report) if raise_on_failure else report


def _entry(name, rule_variants, hand, ref):
    rule, variants = rule_variants
    return (name, rule, hand, ref, [*variants, (*SIGN, lambda: -ref)])


class _Term(NamedTuple):
    label: str
    value: Any
    variants: list  # (mistake, formula, value thunk) for this edge


def _sum_entry(name: str, terms: list[_Term], hand, ref):
    """A value fed back along several edges: the rule is the sum; overwriting keeps one term."""
    rule = " + ".join(t.label for t in terms) if terms else "0 (c does not read it)"
    candidates = []
    if len(terms) > 1:
        for t in terms:
            candidates.append(("overwritten fan-out", f"{t.label} alone", lambda t=t: t.value))
    for i, t in enumerate(terms):
        others = sum((u.value for j, u in enumerate(terms) if j != i), start=0.0)
        for mistake, formula, thunk in t.variants:
            label = rule.replace(t.label, formula) if len(terms) > 1 else formula
            candidates.append((mistake, label, lambda o=others, f=thunk: o + f()))
    return (name, rule, hand, ref, [*candidates, (*SIGN, lambda: -ref)])


def localise_graph(
    nodes: Sequence[Node],
    params: Mapping[str, Any],
    sources: Mapping[str, Any],
    seeds: Mapping[str, Any],
    backward: Callable[..., tuple[dict, dict]] = graph_backward,
    *,
    rtol: float = RTOL,
    raise_on_failure: bool = False,
) -> LocaliseReport:
    """Checks a graph's backward value by value, from the last node down, then the sources.

    A parameter is checked after the first node that uses it (its gradient is complete then).

    Args:
      nodes, params, sources: the graph as ``graph_forward`` takes it.
      seeds: ∂c/∂v for the values the cost reads directly (c = Σ ⟨seed_v, v⟩).
      backward: the hand backward under test, ``graph_backward``'s signature and return value.
      rtol, raise_on_failure: as for ``localise_mlp1``.

    Raises:
      ValueError: for a malformed graph, a seed on no value, or a backward that leaves out a
        value or a parameter.
      DerivationError: with ``raise_on_failure``, naming the first wrong node.
    """
    with jax.enable_x64(True):
        params, sources, seeds = (
            as_float64(dict(params)),
            as_float64(dict(sources)),
            as_float64(dict(seeds)),
        )
        values = graph_forward(nodes, params, sources)
        unknown = sorted(set(seeds) - set(values))
        if unknown:
            raise ValueError(f"seeds name {unknown}, which are not values of the graph")
        dv, dp = backward(nodes, params, values, seeds)
        missing = sorted(set(values) - set(dv)) + sorted(set(params) - set(dp))
        if missing:
            raise ValueError(f"the hand backward returned no gradient for {missing}")

        def c(params, eps):
            vals = {k: v + eps[k] for k, v in sources.items()}
            for n in nodes:
                w = {} if n.param is None else params[n.param]
                out = sum((vals[i] for i in n.inputs[1:]), start=vals[n.inputs[0]])
                vals[n.name] = (out if n.module is None else n.module.forward(out, w)) + eps[n.name]
            return sum(jnp.vdot(s, vals[k]) for k, s in seeds.items())

        eps = {k: jnp.zeros_like(v) for k, v in values.items()}
        ref_p, ref_v = _pull_back(c, params, eps)
        entries, seen = [], set()
        for node in reversed(nodes):
            entries.append(_value_entry(node.name, nodes, params, values, seeds, ref_v, dv))
            if node.param is not None and node.param not in seen and _first_user(nodes, node):
                seen.add(node.param)
                entries += _param_entries(node.param, nodes, params, values, ref_v, ref_p, dp)
        for name in sources:
            entries.append(_value_entry(name, nodes, params, values, seeds, ref_v, dv))
        report = walk(entries, rtol)
    return raise_on_mismatch(report) if raise_on_failure else report


def _first_user(nodes, node) -> bool:
    return next(n for n in nodes if n.param == node.param) is node


def _value_entry(v, nodes, params, values, seeds, ref_v, dv):
    terms = [_Term(f"seed ∂c/∂{v}", seeds[v], [])] if v in seeds else []
    for n in nodes:
        if v not in n.inputs:
            continue
        g, g_name = ref_v[n.name], f"∂c/∂{n.name}"
        if n.module is None:
            terms.append(_Term(g_name, g, []))
            continue
        w = {} if n.param is None else params[n.param]
        back = jax.vjp(lambda u, n=n, w=w: n.module.forward(u, w), values[v])[1](g)[0]
        rules = module_rules(n.module, values[v], w, g, g_name, v, f"[{n.param}]")
        label = rules.dz[0] if n.module.name == "linear" or n.module.name in ACTIVATIONS else (
            f"{g_name} · ∂{n.name}/∂{v}")  # fmt: skip
        terms.append(_Term(label, back, rules.dz[1]))
    return _sum_entry(f"∂c/∂{v}", terms, dv[v], ref_v[v])


def _param_entries(p, nodes, params, values, ref_v, ref_p, dp):
    names = leaf_names(params[p])
    per_leaf: list[list[_Term]] = [[] for _ in names]
    for n in nodes:
        if n.param != p:
            continue
        x, g = values[n.inputs[0]], ref_v[n.name]
        back = jax.vjp(lambda w, n=n, x=x: n.module.forward(x, w), params[p])[1](g)[0]
        rules = module_rules(n.module, x, params[p], g, f"∂c/∂{n.name}", n.inputs[0], f"[{p}]")
        for i, (leaf, value) in enumerate(zip(names, jax.tree_util.tree_leaves(back))):
            rule, variants = rules.dw.get(leaf, (f"∂c/∂{n.name} · ∂{n.name}/∂{leaf}", []))
            per_leaf[i].append(_Term(rule, value, variants))
    hand = _leaves_like(f"∂c/∂{p}", dp[p], params[p])
    return [
        _sum_entry(f"∂c/∂{p}" if leaf == "params" else f"∂c/∂{p}.{leaf}", terms, h, ref)
        for leaf, terms, h, ref in zip(names, per_leaf, hand, jax.tree_util.tree_leaves(ref_p[p]))
    ]
