"""Models written the way a user would write them, outside the catalogue: data the model
closes over live in this module; the params come from a file or from PARAMS."""
import numpy as np

# a small MLP on its own data: 6 samples, 2 inputs, 3 hidden tanh units, one output
X = np.array([[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8], [1.0, 0.2], [-1.2, -0.4], [0.3, 0.9]])
Y = np.array([1.0, 0.0, 1.0, 0.5, 0.2, 0.8])
MLP_PARAMS = {"W1": np.array([[0.1, -0.2, 0.3], [0.4, 0.05, -0.3]]), "b1": np.array([0.05, -0.1, 0.0]),
              "w2": np.array([0.5, -0.4, 0.3]), "b2": 0.1}


def mlp_loss(params, xp):
    h = xp.tanh(xp.matmul(X, params["W1"]) + params["b1"])
    yhat = xp.matmul(h, params["w2"]) + params["b2"]
    return xp.mean((yhat - Y) ** 2)


def mlp_grad(params):
    """The hand-written gradient of mlp_loss (what a user would check)."""
    z = X @ params["W1"] + params["b1"]
    h = np.tanh(z)
    r = 2.0 * (h @ params["w2"] + params["b2"] - Y) / len(Y)
    dz = np.outer(r, params["w2"]) * (1.0 - h * h)
    return {"W1": X.T @ dz, "b1": dz.sum(0), "w2": h.T @ r, "b2": float(r.sum())}


# a physics-style potential with a singularity nearby: a charge at r = 1, a soft wall |r|
CHARGE_PARAMS = {"r": 1.001, "k": 2.0}


def charge(params, xp):
    return params["k"] / (params["r"] - 1.0) + xp.abs(params["r"])
