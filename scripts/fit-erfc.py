#!/usr/bin/env python3
"""Coefficients of the erfc kernel in Sources/CKernels/Kernels.c (needs mpmath and numpy).

    erfc(t) = e^{-t^2} * h(u) / (1 + 2t),   u = (t - c) / (t + c),   t >= 0

h is smooth on u in [-1, 1] (h(-1) = 1 at t = 0, h(1) = 2/sqrt(pi) as t -> infinity), so its Chebyshev
interpolant at n + 1 nodes converges geometrically; the script converts it to monomial coefficients for
Horner's rule and prints the worst relative error of that evaluation in the target precision on a grid of u.
Double: c = 3, degree 26; Float: c = 2, degree 12.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 50


def h(u, c):
    if u == 1:
        return 2 / mp.sqrt(mp.pi)
    t = c * (1 + u) / (1 - u)
    return mp.erfc(t) * mp.exp(t * t) * (1 + 2 * t)


def chebyshev(c, n):
    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (n + 1)) for k in range(n + 1)]
    values = [h(x, c) for x in nodes]
    a = [2 * sum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / (n + 1)) for k in range(n + 1)) / (n + 1)
         for j in range(n + 1)]
    a[0] /= 2
    return a


def monomial(a):
    T = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
    for k in range(2, len(a)):
        t = [mp.mpf(0)] + [2 * x for x in T[k - 1]]
        for i, x in enumerate(T[k - 2]):
            t[i] -= x
        T.append(t)
    m = [mp.mpf(0)] * len(a)
    for k, ak in enumerate(a):
        for i, x in enumerate(T[k]):
            m[i] += ak * x
    return m


def report(name, c, n, dtype, digits, suffix):
    m = monomial(chebyshev(mp.mpf(c), n))
    coefficients = [dtype(float(x)) for x in m]
    worst = mp.mpf(0)
    for u in np.linspace(-1, 0.9999, 2001):
        ud = dtype(u)
        p = coefficients[-1]
        for q in reversed(coefficients[:-1]):
            p = dtype(p * ud + q)
        exact = h(mp.mpf(float(ud)), mp.mpf(c))
        worst = max(worst, abs((mp.mpf(float(p)) - exact) / exact))
    print(f"// {name}: c = {c}, degree {n}, Horner in {dtype.__name__}: max relative error {mp.nstr(worst, 3)}")
    for q in reversed(coefficients):
        print(f"    {float(q):.{digits}e}{suffix},")


report("double", 3, 26, np.float64, 16, "")
report("float", 2, 12, np.float32, 8, "f")
