"""Hand-written numpy backprop for the catalogue's MLP (``models.get("mlp")``): the yardstick
the benchmark divides by.

It is what a person writes after the lecture's backprop slides: a forward pass that keeps
each layer's activations, then one backward loop over the layers with the chain rule done
by hand -- no tape, no boxes, no dispatch. Same model, same loss, same numbers::

    L = mean_b loss(z_L[b], Y[b]),  z_k = h_{k-1} @ W_k + b_k,  h_k = act(z_k)
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

__all__ = ["mlp_value_and_grad", "softplus_chain_value_and_grad", "for_model"]


def _act(z, activation):
    if activation == "sigmoid":
        return expit(z)                  # 1/(1 + exp(-z)), stably: the table's sigmoid too
    if activation == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def _act_grad(h, z, activation):
    """d act / dz, from the activation's output where that is cheaper."""
    if activation == "sigmoid":
        return h * (1.0 - h)
    if activation == "tanh":
        return 1.0 - h * h
    return (z > 0) + 0.5 * (z == 0)          # the tie rule of the primitive table


def mlp_value_and_grad(params, X, Y, layers, activation, loss):
    """Value and gradient of the catalogue MLP, by hand. ``loss`` is "l2" or "softmax_ce"."""
    hs, zs = [X], []
    h = X
    for k in range(1, layers + 1):
        z = h @ params[f"W{k}"] + params[f"b{k}"]
        zs.append(z)
        if k < layers:
            h = _act(z, activation)
            hs.append(h)
    batch = z.shape[0]
    if loss == "softmax_ce":
        m = z.max(axis=-1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=-1, keepdims=True)
        lse = np.log(s) + m
        value = float(np.mean(lse[:, 0] - np.sum(Y * z, axis=-1)))
        dz = (e / s - Y) / batch                  # softmax - onehot, averaged
    elif loss == "l2":
        d = z - Y
        value = float(np.mean(np.sum(0.5 * d * d, axis=-1)))
        dz = d / batch
    else:
        raise ValueError(f"hand-written backprop covers l2 and softmax_ce, not {loss!r}")
    grads = {}
    for k in range(layers, 0, -1):
        h = hs[k - 1]
        grads[f"W{k}"] = h.T @ dz
        grads[f"b{k}"] = dz.sum(axis=0)
        if k > 1:
            dz = (dz @ params[f"W{k}"].T) * _act_grad(h, zs[k - 2], activation)
    return value, grads


def softplus_chain_value_and_grad(params, x, depth):
    """The lecture's nested log-exp, h_k = log(1 + exp(w_k h_{k-1} + b_k)), by hand on
    Python floats: forward keeping each layer's input and sigmoid, backward by the chain
    rule (d softplus(z) / dz = sigmoid(z))."""
    h, ins, sig = x, [], []
    for k in range(1, depth + 1):
        z = params[f"w{k}"] * h + params[f"b{k}"]
        e = math.exp(z)
        ins.append(h)
        sig.append(e / (1.0 + e))
        h = math.log(1.0 + e)
    grads, dh = {}, 1.0
    for k in range(depth, 0, -1):
        dz = dh * sig[k - 1]
        grads[f"w{k}"] = dz * ins[k - 1]
        grads[f"b{k}"] = dz
        dh = dz * params[f"w{k}"]
    return h, grads


def for_model(model):
    """``params -> (value, grads)`` for a catalogue ``mlp`` or width-1 ``softplus_chain``
    model (binds its data)."""
    d = model.data
    if model.name == "softplus_chain":
        x, depth = d["x"], d["depth"]
        return lambda params: softplus_chain_value_and_grad(params, x, depth)
    X, Y, layers, activation, loss = d["X"], d["Y"], d["layers"], d["activation"], d["loss"]

    def vg(params):
        return mlp_value_and_grad(params, X, Y, layers, activation, loss)
    return vg
