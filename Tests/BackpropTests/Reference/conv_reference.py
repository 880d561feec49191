"""Forward and backward passes of 2-d convolution, pooling and batch normalisation, written as direct
loops over torch's definitions (no im2col, no library convolution), for ConvolutionReferenceTests.

    python conv_reference.py        writes conv_reference.json next to this script

Needs numpy only; run it from a scratch virtualenv,
    python3 -m venv /tmp/np-venv && /tmp/np-venv/bin/pip install numpy

Every case holds its inputs (x in NCHW, parameters, the upstream gradient g = dL/dy) and the expected
output y and gradients, all float64, flattened row-major with their shapes. The gradients follow from
L = sum(g * y) by the chain rule applied to each loop:
    conv:     y[n,o,oy,ox] = b[o] + sum_{c,i,j} W[o,c,i,j] x[n,c,oy*s-p+i*d, ox*s-p+j*d]   (0 outside)
    maxpool:  y = max over the window (-inf outside); the first maximum receives g
    avgpool:  y = sum over the window (0 outside) / (kh*kw)   (count_include_pad=True)
    adaptive: y[n,c,0,0] = mean over the plane
    batchnorm2d (training): per channel over N,H,W; biased variance for x_hat, unbiased for running_var
torch.nn.Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and BatchNorm2d documentation give the formulas.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261202)


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv(x, w, b, stride, padding, dilation):
    n_, c_, h, wd = x.shape
    o_, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = out_size(h, kh, sh, ph, dh), out_size(wd, kw, sw, pw, dw)
    y = np.zeros((n_, o_, ho, wo))
    for n in range(n_):
        for o in range(o_):
            for oy in range(ho):
                for ox in range(wo):
                    total = b[o]
                    for c in range(c_):
                        for i in range(kh):
                            for j in range(kw):
                                iy, ix = oy * sh - ph + i * dh, ox * sw - pw + j * dw
                                if 0 <= iy < h and 0 <= ix < wd:
                                    total += w[o, c, i, j] * x[n, c, iy, ix]
                    y[n, o, oy, ox] = total
    return y


def conv_backward(x, w, g, stride, padding, dilation):
    n_, c_, h, wd = x.shape
    o_, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    dx, dw_, db = np.zeros_like(x), np.zeros_like(w), np.zeros(o_)
    for n in range(n_):
        for o in range(o_):
            for oy in range(g.shape[2]):
                for ox in range(g.shape[3]):
                    gv = g[n, o, oy, ox]
                    db[o] += gv
                    for c in range(c_):
                        for i in range(kh):
                            for j in range(kw):
                                iy, ix = oy * sh - ph + i * dh, ox * sw - pw + j * dw
                                if 0 <= iy < h and 0 <= ix < wd:
                                    dw_[o, c, i, j] += gv * x[n, c, iy, ix]
                                    dx[n, c, iy, ix] += gv * w[o, c, i, j]
    return dx, dw_, db


def windows(h, wd, k, s, p):
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    ho, wo = out_size(h, kh, sh, ph, 1), out_size(wd, kw, sw, pw, 1)
    for oy in range(ho):
        for ox in range(wo):
            cells = [(oy * sh - ph + i, ox * sw - pw + j) for i in range(kh) for j in range(kw)]
            yield oy, ox, cells


def maxpool(x, g, k, s, p):
    n_, c_, h, wd = x.shape
    ho, wo = out_size(h, k[0], s[0], p[0], 1), out_size(wd, k[1], s[1], p[1], 1)
    y, dx = np.zeros((n_, c_, ho, wo)), np.zeros_like(x)
    for n in range(n_):
        for c in range(c_):
            for oy, ox, cells in windows(h, wd, k, s, p):
                best, at = -np.inf, None
                for iy, ix in cells:
                    if 0 <= iy < h and 0 <= ix < wd and x[n, c, iy, ix] > best:
                        best, at = x[n, c, iy, ix], (iy, ix)
                y[n, c, oy, ox] = best
                dx[n, c, at[0], at[1]] += g[n, c, oy, ox]
    return y, dx


def avgpool(x, g, k, s, p):
    n_, c_, h, wd = x.shape
    ho, wo = out_size(h, k[0], s[0], p[0], 1), out_size(wd, k[1], s[1], p[1], 1)
    y, dx = np.zeros((n_, c_, ho, wo)), np.zeros_like(x)
    divisor = k[0] * k[1]
    for n in range(n_):
        for c in range(c_):
            for oy, ox, cells in windows(h, wd, k, s, p):
                inside = [(iy, ix) for iy, ix in cells if 0 <= iy < h and 0 <= ix < wd]
                y[n, c, oy, ox] = sum(x[n, c, iy, ix] for iy, ix in inside) / divisor
                for iy, ix in inside:
                    dx[n, c, iy, ix] += g[n, c, oy, ox] / divisor
    return y, dx


def batchnorm2d(x, gamma, beta, g, eps=1e-5, momentum=0.1):
    n_, c_, h, wd = x.shape
    m = n_ * h * wd
    y, dx = np.zeros_like(x), np.zeros_like(x)
    dgamma, dbeta = np.zeros(c_), np.zeros(c_)
    running_mean, running_var = np.zeros(c_), np.ones(c_)
    for c in range(c_):
        values = [x[n, c, i, j] for n in range(n_) for i in range(h) for j in range(wd)]
        mean = sum(values) / m
        var = sum((v - mean) ** 2 for v in values) / m
        inv = 1 / np.sqrt(var + eps)
        running_mean[c] = (1 - momentum) * 0 + momentum * mean
        running_var[c] = (1 - momentum) * 1 + momentum * var * m / (m - 1)
        xhat = (x[:, c] - mean) * inv
        y[:, c] = gamma[c] * xhat + beta[c]
        gc = g[:, c]
        dbeta[c] = gc.sum()
        dgamma[c] = (gc * xhat).sum()
        gh = gc * gamma[c]
        # d xhat_k / d x_l = inv (delta_kl - 1/m - xhat_k xhat_l / m)
        dx[:, c] = inv * (gh - gh.sum() / m - xhat * (gh * xhat).sum() / m)
    return y, dx, dgamma, dbeta, running_mean, running_var


def t(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "values": [float(v) for v in a.ravel()]}


def normal(*shape):
    return rng.standard_normal(shape)


cases = []
for name, shape, wshape, stride, padding, dilation in [
    ("conv 2x3 stride (2,1) padding (1,2) dilation (1,2)", (2, 2, 7, 5), (3, 2, 2, 3), (2, 1), (1, 2), (1, 2)),
    ("conv 3x3 stride 1 padding 1", (2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1)),
    ("conv 3x3 stride 2 no padding", (1, 2, 7, 7), (2, 2, 3, 3), (2, 2), (0, 0), (1, 1)),
]:
    x, w, b = normal(*shape), normal(*wshape), normal(wshape[0])
    y = conv(x, w, b, stride, padding, dilation)
    g = normal(*y.shape)
    dx, dw, db = conv_backward(x, w, g, stride, padding, dilation)
    cases.append({"name": name, "layer": "Conv2d", "stride": list(stride), "padding": list(padding),
                  "dilation": list(dilation), "x": t(x), "weight": t(w), "bias": t(b), "g": t(g), "y": t(y),
                  "dx": t(dx), "dweight": t(dw), "dbias": t(db)})

x = normal(2, 2, 7, 5)
for name, k, s, p in [("maxpool 3 stride 2 padding 1", (3, 3), (2, 2), (1, 1)), ("maxpool 2", (2, 2), (2, 2), (0, 0))]:
    g = normal(2, 2, out_size(7, k[0], s[0], p[0], 1), out_size(5, k[1], s[1], p[1], 1))
    y, dx = maxpool(x, g, k, s, p)
    cases.append({"name": name, "layer": "MaxPool2d", "kernel": list(k), "stride": list(s), "padding": list(p),
                  "x": t(x), "g": t(g), "y": t(y), "dx": t(dx)})
for name, k, s, p in [("avgpool 3 stride 2 padding 1", (3, 3), (2, 2), (1, 1)), ("avgpool 2x3 stride 1", (2, 3), (1, 1), (0, 0))]:
    g = normal(2, 2, out_size(7, k[0], s[0], p[0], 1), out_size(5, k[1], s[1], p[1], 1))
    y, dx = avgpool(x, g, k, s, p)
    cases.append({"name": name, "layer": "AvgPool2d", "kernel": list(k), "stride": list(s), "padding": list(p),
                  "x": t(x), "g": t(g), "y": t(y), "dx": t(dx)})

g = normal(2, 2, 1, 1)
y = np.zeros((2, 2, 1, 1))
dx = np.zeros_like(x)
for n in range(2):
    for c in range(2):
        y[n, c, 0, 0] = sum(x[n, c, i, j] for i in range(7) for j in range(5)) / 35
        dx[n, c] = g[n, c, 0, 0] / 35
cases.append({"name": "adaptive average 1x1", "layer": "AdaptiveAvgPool2d", "x": t(x), "g": t(g), "y": t(y),
              "dx": t(dx)})

x = normal(3, 2, 4, 5) * 2 + 0.5
gamma, beta = normal(2), normal(2)
g = normal(3, 2, 4, 5)
y, dx, dgamma, dbeta, rm, rv = batchnorm2d(x, gamma, beta, g)
cases.append({"name": "batchnorm2d training", "layer": "BatchNorm2d", "x": t(x), "weight": t(gamma), "bias": t(beta),
              "g": t(g), "y": t(y), "dx": t(dx), "dweight": t(dgamma), "dbias": t(dbeta), "running_mean": t(rm),
              "running_var": t(rv)})

with open(os.path.join(HERE, "conv_reference.json"), "w") as f:
    json.dump({"generator": "conv_reference.py", "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
