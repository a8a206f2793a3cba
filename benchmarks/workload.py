"""The workload the benchmarks share: scikit-learn's digits as every contender gets them."""

from __future__ import annotations

import numpy as np


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits (1797 × 64, 10 classes), each pixel standardised, float32 and int32."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    return X.astype(np.float32), y.astype(np.int32)


def numpy_step(W1, W2, Xb, Yb, *, lr, lam):
    """One gradient step of d2l's formulas, vectorised in NumPy: the NumPy contender."""
    Z = Xb @ W1.T
    H = np.maximum(Z, 0)
    O = H @ W2.T
    E = np.exp(O - O.max(1, keepdims=True))
    dO = (E / E.sum(1, keepdims=True) - np.eye(W2.shape[0], dtype=O.dtype)[Yb]) / len(Yb)
    dW2 = dO.T @ H + lam * W2
    dZ = (dO @ W2) * (Z > 0)
    dW1 = dZ.T @ Xb + lam * W1
    return W1 - lr * dW1, W2 - lr * dW2


def torch_mlp(W1, W2):
    """The PyTorch contender's model, as its users write it: bias-free ``nn.Linear``, ReLU,
    ``nn.Linear``, holding the tensors W⁽¹⁾ (h, d) and W⁽²⁾ (q, h), on their device."""
    from torch import nn

    (h, d), q = W1.shape, W2.shape[0]
    model = nn.Sequential(nn.Linear(d, h, bias=False), nn.ReLU(), nn.Linear(h, q, bias=False))
    torch_reset(model.to(W1.device), W1, W2)
    return model


def torch_reset(model, W1, W2):
    """Puts W⁽¹⁾ and W⁽²⁾ back into ``model``: every timed run starts from the same weights."""
    import torch

    with torch.no_grad():
        model[0].weight.copy_(W1)
        model[2].weight.copy_(W2)
