"""jax.jit as a peer in the benchmarks (not a dependency of diffcompare): the SAME model
function run on a JAX namespace, ``jax.jit(jax.value_and_grad(...))``, with its compile time
measured apart (the first call)."""
from __future__ import annotations

import operator
import time

__all__ = ["available", "jitted"]


def available():
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def _namespace():
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    from diffcompare.vocabulary import Namespace

    def step(x):
        return jnp.where(x > 0, 1.0, jnp.where(x < 0, 0.0, 0.5))

    def scatter(g, index, shape):
        return jnp.zeros(shape, g.dtype).at[index].add(g)

    fns = dict(add=operator.add, sub=operator.sub, mul=operator.mul, div=operator.truediv, neg=operator.neg,
               pow=operator.pow, exp=jnp.exp, log=jnp.log, sin=jnp.sin, cos=jnp.cos, sinh=jnp.sinh, cosh=jnp.cosh,
               tanh=jnp.tanh, sigmoid=jax.nn.sigmoid, sqrt=jnp.sqrt, abs=jnp.abs, maximum=jnp.maximum,
               minimum=jnp.minimum, step=step, sign=jnp.sign, matmul=jnp.matmul, sum=jnp.sum, mean=jnp.mean,
               logsumexp=logsumexp, reshape=jnp.reshape, transpose=jnp.transpose, getitem=operator.getitem,
               broadcast_to=jnp.broadcast_to, scatter=scatter, name=lambda x, label: x)
    return Namespace("JAX", fns)


def jitted(model, params):
    """``(fn, compile_s)``: ``fn(params) -> (value, grads)`` as numpy, jitted; the compile
    time is the first call's (trace + XLA compile)."""
    import jax
    import numpy as np
    jax.config.update("jax_enable_x64", True)          # float64, as the others compute
    xp = _namespace()
    vg = jax.jit(jax.value_and_grad(lambda p: model(p, xp)))
    t0 = time.perf_counter()
    jax.block_until_ready(vg(params))
    compile_s = time.perf_counter() - t0

    def fn(p):
        v, g = vg(p)
        g = jax.block_until_ready(g)
        return float(v), {k: np.asarray(x) for k, x in g.items()}
    return fn, compile_s
