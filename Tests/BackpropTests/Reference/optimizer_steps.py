"""The expected parameters after three optimizer steps, from the update rules as the torch.optim
documentation states them (written out here by hand, one line per formula; no library code).

Parameter theta0 = [1.0, -2.0]; the gradients of the three steps are given (not computed), so the
numbers depend on nothing but the formulas. Run: python3 optimizer_steps.py
"""
import math

THETA0 = [1.0, -2.0]
GRADS = [[0.5, -1.0], [0.3, 0.2], [-0.4, 0.1]]


def sgd(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False):
    th, b, out = list(THETA0), [0.0, 0.0], []
    for t, grad in enumerate(GRADS, start=1):
        for i in range(2):
            g = grad[i] + wd * th[i]
            if momentum != 0:
                b[i] = g if t == 1 else momentum * b[i] + (1 - dampening) * g
                g = g + momentum * b[i] if nesterov else b[i]
            th[i] -= lr * g
        out.append(list(th))
    return out


def rmsprop(lr, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False):
    th, v, gav, b, out = list(THETA0), [0.0] * 2, [0.0] * 2, [0.0] * 2, []
    for grad in GRADS:
        for i in range(2):
            g = grad[i] + wd * th[i]
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            vt = v[i]
            if centered:
                gav[i] = alpha * gav[i] + (1 - alpha) * g
                vt = vt - gav[i] ** 2
            if momentum > 0:
                b[i] = momentum * b[i] + g / (math.sqrt(vt) + eps)
                th[i] -= lr * b[i]
            else:
                th[i] -= lr * g / (math.sqrt(vt) + eps)
        out.append(list(th))
    return out


def adagrad(lr, lr_decay=0.0, wd=0.0, init=0.0, eps=1e-10):
    th, s, out = list(THETA0), [init] * 2, []
    for t, grad in enumerate(GRADS, start=1):
        clr = lr / (1 + (t - 1) * lr_decay)
        for i in range(2):
            g = grad[i] + wd * th[i]
            s[i] += g * g
            th[i] -= clr * g / (math.sqrt(s[i]) + eps)
        out.append(list(th))
    return out


def adam(lr, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, amsgrad=False, decoupled=False):
    th, m, v, vmax, out = list(THETA0), [0.0] * 2, [0.0] * 2, [0.0] * 2, []
    for t, grad in enumerate(GRADS, start=1):
        for i in range(2):
            if decoupled:
                th[i] -= lr * wd * th[i]
                g = grad[i]
            else:
                g = grad[i] + wd * th[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            mhat = m[i] / (1 - b1 ** t)
            if amsgrad:
                vmax[i] = max(vmax[i], v[i])
                vhat = vmax[i] / (1 - b2 ** t)
            else:
                vhat = v[i] / (1 - b2 ** t)
            th[i] -= lr * mhat / (math.sqrt(vhat) + eps)
        out.append(list(th))
    return out


def lion(lr, b1=0.9, b2=0.99, wd=0.0):
    th, m, out = list(THETA0), [0.0] * 2, []
    for grad in GRADS:
        for i in range(2):
            c = b1 * m[i] + (1 - b1) * grad[i]
            sign = 1.0 if c > 0 else (-1.0 if c < 0 else 0.0)
            th[i] -= lr * (sign + wd * th[i])
            m[i] = b2 * m[i] + (1 - b2) * grad[i]
        out.append(list(th))
    return out


CASES = {
    "sgd": sgd(0.1),
    "sgd momentum 0.9 dampening 0.5 wd 0.1": sgd(0.1, momentum=0.9, dampening=0.5, wd=0.1),
    "sgd nesterov 0.9": sgd(0.1, momentum=0.9, nesterov=True),
    "rmsprop": rmsprop(0.01),
    "rmsprop centered momentum 0.5 wd 0.1": rmsprop(0.01, momentum=0.5, centered=True, wd=0.1),
    "adagrad lr_decay 0.1 init 0.5 wd 0.1": adagrad(0.1, lr_decay=0.1, init=0.5, wd=0.1),
    "adam": adam(0.1),
    "adam amsgrad beta2 0.5 wd 0.1": adam(0.1, b2=0.5, amsgrad=True, wd=0.1),
    "adamw": adam(0.1, wd=0.01, decoupled=True),
    "lion wd 0.1": lion(0.1, wd=0.1),
}

if __name__ == "__main__":
    for name, steps in CASES.items():
        print(f"{name}: " + "; ".join("[" + ", ".join(repr(x) for x in th) + "]" for th in steps))
