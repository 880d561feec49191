"""Forward and backward passes of torch-style RNN (tanh), LSTM and GRU, two stacked layers, in numpy.

    python recurrent_reference.py      writes recurrent_reference.json beside this file

An independent reference for RecurrentReferenceTests: the cells are written from the formulas of the
torch.nn.RNN, torch.nn.LSTM and torch.nn.GRU documentation (gate orders i, f, g, o and r, z, n; GRU's b_hn
inside the reset product), batch_first, zero initial states; the backward pass is plain
backpropagation through time, one time step at a time, with every intermediate kept in a list (no code
shared with GradLab's time-major kernels). Needs only numpy (`python3 -m venv /tmp/np-venv &&
/tmp/np-venv/bin/pip install numpy`).

Values come from closed formulas (scale * sin(phase + 0.7 k) for the k-th element), so the file is the
same on every run. For each model the file holds the parameters under their torch state_dict names,
the input x [batch, T, input_size], the upstream gradient dy = dL/d(output) [batch, T, hidden] of the
objective L = sum(output * dy), and what must come out: the output, dL/dx, every parameter's gradient,
and for each stacked layer the traces of TimeTrace: ||dL/dh_t|| (the whole gradient reaching h_t: from
the layer above at step t plus from step t + 1), ||h_t||, and for gated cells each gate's mean and
saturated fraction per step (sigmoid gates outside [0.03, 0.97], tanh gates beyond +-0.97).
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, STEPS, INPUT, HIDDEN, LAYERS = 3, 5, 4, 6, 2


def formula(shape, phase, scale):
    count = int(np.prod(shape))
    k = np.arange(count, dtype=np.float64)
    return (scale * np.sin(phase + 0.7 * k)).reshape(shape)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def parameters(gates):
    """torch's state_dict names and shapes; phases differ per tensor so no two tensors are alike."""
    p, phase = {}, 0.3
    for k in range(LAYERS):
        features = INPUT if k == 0 else HIDDEN
        for name, shape in [("weight_ih", (gates * HIDDEN, features)), ("weight_hh", (gates * HIDDEN, HIDDEN)),
                            ("bias_ih", (gates * HIDDEN,)), ("bias_hh", (gates * HIDDEN,))]:
            p[f"{name}_l{k}"] = formula(shape, phase, 0.8)
            phase += 0.37
    return p


# ---- cells: forward keeps a cache per step, backward takes dh (total) and returns gradients.

def rnn_step(p, k, x, h):
    a = x @ p[f"weight_ih_l{k}"].T + p[f"bias_ih_l{k}"] + h @ p[f"weight_hh_l{k}"].T + p[f"bias_hh_l{k}"]
    hn = np.tanh(a)
    return hn, {"x": x, "h": h, "hn": hn}, []


def rnn_step_back(p, k, cache, dh, carry, grads):
    da = dh * (1 - cache["hn"] ** 2)
    grads[f"weight_ih_l{k}"] += da.T @ cache["x"]
    grads[f"weight_hh_l{k}"] += da.T @ cache["h"]
    grads[f"bias_ih_l{k}"] += da.sum(axis=0)
    grads[f"bias_hh_l{k}"] += da.sum(axis=0)
    return da @ p[f"weight_ih_l{k}"], da @ p[f"weight_hh_l{k}"], None


def lstm_step(p, k, x, state):
    h, c = state
    a = x @ p[f"weight_ih_l{k}"].T + p[f"bias_ih_l{k}"] + h @ p[f"weight_hh_l{k}"].T + p[f"bias_hh_l{k}"]
    H = HIDDEN
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    cn = f * c + i * g
    hn = o * np.tanh(cn)
    cache = {"x": x, "h": h, "c": c, "i": i, "f": f, "g": g, "o": o, "cn": cn}
    return (hn, cn), cache, [("i", i, False), ("f", f, False), ("g", g, True), ("o", o, False)]


def lstm_step_back(p, k, cache, dh, dc_next, grads):
    i, f, g, o, c, cn = cache["i"], cache["f"], cache["g"], cache["o"], cache["c"], cache["cn"]
    tc = np.tanh(cn)
    dc = dh * o * (1 - tc ** 2) + (0 if dc_next is None else dc_next)
    do = dh * tc
    di, df, dg = dc * g, dc * c, dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    grads[f"weight_ih_l{k}"] += da.T @ cache["x"]
    grads[f"weight_hh_l{k}"] += da.T @ cache["h"]
    grads[f"bias_ih_l{k}"] += da.sum(axis=0)
    grads[f"bias_hh_l{k}"] += da.sum(axis=0)
    return da @ p[f"weight_ih_l{k}"], da @ p[f"weight_hh_l{k}"], dc * f


def gru_step(p, k, x, h):
    H = HIDDEN
    gi = x @ p[f"weight_ih_l{k}"].T + p[f"bias_ih_l{k}"]
    gh = h @ p[f"weight_hh_l{k}"].T + p[f"bias_hh_l{k}"]
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    hn = (1 - z) * n + z * h
    cache = {"x": x, "h": h, "r": r, "z": z, "n": n, "ghn": gh[:, 2 * H:]}
    return hn, cache, [("r", r, False), ("z", z, False), ("n", n, True)]


def gru_step_back(p, k, cache, dh, carry, grads):
    r, z, n, h, ghn = cache["r"], cache["z"], cache["n"], cache["h"], cache["ghn"]
    dn = dh * (1 - z)
    dz = dh * (h - n)
    dan = dn * (1 - n ** 2)
    dar = dan * ghn * r * (1 - r)
    daz = dz * z * (1 - z)
    dgi = np.concatenate([dar, daz, dan], axis=1)
    dgh = np.concatenate([dar, daz, dan * r], axis=1)
    grads[f"weight_ih_l{k}"] += dgi.T @ cache["x"]
    grads[f"weight_hh_l{k}"] += dgh.T @ h
    grads[f"bias_ih_l{k}"] += dgi.sum(axis=0)
    grads[f"bias_hh_l{k}"] += dgh.sum(axis=0)
    return dgi @ p[f"weight_ih_l{k}"], dgh @ p[f"weight_hh_l{k}"] + dh * z, None


CELLS = {
    "RNN": (1, rnn_step, rnn_step_back, lambda: np.zeros((BATCH, HIDDEN))),
    "LSTM": (4, lstm_step, lstm_step_back, lambda: (np.zeros((BATCH, HIDDEN)), np.zeros((BATCH, HIDDEN)))),
    "GRU": (3, gru_step, gru_step_back, lambda: np.zeros((BATCH, HIDDEN))),
}


def run(kind, phase):
    gates, step, step_back, zero = CELLS[kind]
    p = parameters(gates)
    x = formula((BATCH, STEPS, INPUT), phase, 2.0)
    dy = formula((BATCH, STEPS, HIDDEN), phase + 0.5, 0.8)

    # Forward, layer by layer, step by step.
    caches, hidden_norms, gate_stats = [], [], []
    layer_input = x
    for k in range(LAYERS):
        state, outs, layer_caches, stats = zero(), [], [], {}
        for t in range(STEPS):
            state, cache, gate_values = step(p, k, layer_input[:, t, :], state)
            h = state[0] if kind == "LSTM" else state
            outs.append(h)
            layer_caches.append(cache)
            for name, v, is_tanh in gate_values:
                saturated = np.abs(v) > 0.97 if is_tanh else (v < 0.03) | (v > 0.97)
                stats.setdefault(name, {"means": [], "saturated_fractions": []})
                stats[name]["means"].append(float(v.mean()))
                stats[name]["saturated_fractions"].append(float(saturated.mean()))
        hidden_norms.append([float(np.linalg.norm(h)) for h in outs])
        gate_stats.append(stats)
        caches.append(layer_caches)
        layer_input = np.stack(outs, axis=1)
    output = layer_input

    # Backward through time, top layer first.
    grads = {name: np.zeros_like(v) for name, v in p.items()}
    upstream = dy
    gradient_norms = [None] * LAYERS
    for k in reversed(range(LAYERS)):
        dx = np.zeros((BATCH, STEPS, INPUT if k == 0 else HIDDEN))
        dh_next, carry, norms = np.zeros((BATCH, HIDDEN)), None, []
        for t in reversed(range(STEPS)):
            dh = upstream[:, t, :] + dh_next
            norms.append(float(np.linalg.norm(dh)))
            dx[:, t, :], dh_next, carry = step_back(p, k, caches[k][t], dh, carry, grads)
        gradient_norms[k] = norms[::-1]
        upstream = dx

    def flat(a):
        return [float(v) for v in np.asarray(a).reshape(-1)]

    return {
        "kind": kind, "input_size": INPUT, "hidden_size": HIDDEN, "num_layers": LAYERS, "batch": BATCH,
        "steps": STEPS,
        "parameters": [{"name": n, "shape": list(v.shape), "values": flat(v)} for n, v in p.items()],
        "input": flat(x), "upstream": flat(dy), "output": flat(output), "input_gradient": flat(upstream),
        "gradients": [{"name": n, "values": flat(g)} for n, g in grads.items()],
        "traces": [{"stack": k, "gradient_norms": gradient_norms[k], "hidden_norms": hidden_norms[k],
                    "gates": [{"name": name, **s} for name, s in gate_stats[k].items()]} for k in range(LAYERS)],
    }


if __name__ == "__main__":
    cases = [run("RNN", 0.2), run("LSTM", 0.9), run("GRU", 1.7)]
    with open(os.path.join(HERE, "recurrent_reference.json"), "w") as f:
        json.dump({"generator": "recurrent_reference.py", "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote recurrent_reference.json:", ", ".join(c["kind"] for c in cases))
