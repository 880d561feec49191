"""Checkpoint fixtures from the reference safetensors implementation, and a check of GradLab's files.

    python make_checkpoint_fixture.py          writes reference.safetensors and reference_forward.json
    python make_checkpoint_fixture.py --check  loads GradLab's gradlab_*.safetensors with safetensors.numpy
                                               and checks their names, shapes, dtypes and values

The gradlab_*.safetensors files are snapshots of GradLab's writer, compared byte for byte by
CheckpointTests.testWrittenFilesMatchTheirSnapshots and recorded again with
    GRADLAB_RECORD_SNAPSHOTS=1 swift test --filter ExperimentsTests.CheckpointTests

Needs the `safetensors` and `numpy` wheels from PyPI (no torch): run it from a scratch virtualenv,
    python3 -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install safetensors numpy

The fixture is the state_dict of
    torch.nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.BatchNorm1d(4), nn.Linear(4, 2))
built by hand in numpy with torch's names, layouts (Linear.weight is [out, in]) and dtypes (float32
weights, int64 num_batches_tracked of shape []). Values come from closed formulas, so the file is the
same on every run. The expected output is the evaluation-mode forward pass, computed in float64 from the
float32 values:
    h = tanh(x W0^T + b0);  z = (h - running_mean) / sqrt(running_var + 1e-5) * gamma + beta;  y = z W3^T + b3
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 1e-5  # torch.nn.BatchNorm1d's default


def formula(shape, phase, scale):
    """Deterministic float32 values: scale * sin(phase + 0.7 k) for the k-th element in row-major order."""
    count = int(np.prod(shape)) if shape else 1
    k = np.arange(count, dtype=np.float64)
    return (scale * np.sin(phase + 0.7 * k)).astype(np.float32).reshape(shape)


def reference_state_dict():
    return {
        "0.weight": formula((4, 3), 0.1, 0.8),
        "0.bias": formula((4,), 0.2, 0.3),
        "2.weight": (1.0 + formula((4,), 0.3, 0.25)).astype(np.float32),
        "2.bias": formula((4,), 0.4, 0.2),
        "2.running_mean": formula((4,), 0.5, 0.4),
        "2.running_var": (0.5 + formula((4,), 0.6, 0.2) ** 2).astype(np.float32),
        "2.num_batches_tracked": np.array(7, dtype=np.int64),
        "3.weight": formula((2, 4), 0.7, 0.9),
        "3.bias": formula((2,), 0.8, 0.1),
    }


def eval_forward(state, x):
    s = {k: v.astype(np.float64) for k, v in state.items()}
    h = np.tanh(x @ s["0.weight"].T + s["0.bias"])
    z = (h - s["2.running_mean"]) / np.sqrt(s["2.running_var"] + EPS) * s["2.weight"] + s["2.bias"]
    return z @ s["3.weight"].T + s["3.bias"]


def make():
    state = reference_state_dict()
    save_file(state, os.path.join(HERE, "reference.safetensors"), metadata={"format": "pt"})
    # Multiples of 1/8: exact in float32 and float64, so both GradLab models see the same input.
    x = (np.arange(15, dtype=np.float64).reshape(5, 3) - 7.0) / 8.0
    y = eval_forward(state, x)
    with open(os.path.join(HERE, "reference_forward.json"), "w") as f:
        json.dump({"model": "Sequential(Linear(3, 4), Tanh(), BatchNorm1d(4), Linear(4, 2))", "mode": "eval",
                   "input": x.tolist(), "output": y.tolist()}, f, indent=1)
        f.write("\n")
    print("wrote reference.safetensors and reference_forward.json")


# What GradLab's snapshot files must hold, written down from torch's state_dict naming rules.
# ModelSpec(sizes: [3, 4, 4, 2], activation: .tanh, norm: .batch|.layer, residual: true) builds
# Sequential(Linear(3,4), Norm(4), Tanh, Residual(Sequential(Linear(4,4), Norm(4), Tanh)), Linear(4,2)).
def expected_gradlab(norm, dtype):
    def norm_entries(prefix):
        entries = {prefix + "weight": ((4,), dtype), prefix + "bias": ((4,), dtype)}
        if norm == "batch":
            entries.update({prefix + "running_mean": ((4,), dtype), prefix + "running_var": ((4,), dtype),
                            prefix + "num_batches_tracked": ((), np.int64)})
        return entries
    expected = {"0.weight": ((4, 3), dtype), "0.bias": ((4,), dtype)}
    expected.update(norm_entries("1."))
    expected.update({"3.0.weight": ((4, 4), dtype), "3.0.bias": ((4,), dtype)})
    expected.update(norm_entries("3.1."))
    expected.update({"4.weight": ((2, 4), dtype), "4.bias": ((2,), dtype)})
    return expected


def expected_gradlab_values(norm):
    """The values CheckpointTests.fillDeterministically sets: the k-th scalar of the parameters (in GradLab's
    parameter order) is ((37 k) mod 101 - 50) / 64, then the buffers continue with ((37 k) mod 101 + 16) / 128;
    the BatchNorm counters are 3, 4. Checks that the bytes are row-major and little-endian as numpy reads them."""
    shapes = expected_gradlab(norm, None)
    parameters = ["0.weight", "0.bias", "1.weight", "1.bias", "3.0.weight", "3.0.bias", "3.1.weight", "3.1.bias",
                  "4.weight", "4.bias"]
    buffers = ["1.running_mean", "1.running_var", "3.1.running_mean", "3.1.running_var"] if norm == "batch" else []
    values, k = {}, 0
    for names, rule in [(parameters, lambda r: (r - 50) / 64), (buffers, lambda r: (r + 16) / 128)]:
        for name in names:
            count = int(np.prod(shapes[name][0]))
            values[name] = np.array([rule((37 * (k + i)) % 101) for i in range(count)]).reshape(shapes[name][0])
            k += count
    if norm == "batch":
        values.update({"1.num_batches_tracked": np.array(3), "3.1.num_batches_tracked": np.array(4)})
    return values


def check():
    failures = 0
    for name, norm, dtype in [("gradlab_float_batchnorm.safetensors", "batch", np.float32),
                              ("gradlab_double_layernorm.safetensors", "layer", np.float64)]:
        loaded = load_file(os.path.join(HERE, name))
        expected = expected_gradlab(norm, dtype)
        found = {k: (v.shape, v.dtype.type) for k, v in loaded.items()}
        if found != expected:
            failures += 1
            print(f"{name}: MISMATCH")
            for key in sorted(set(found) | set(expected)):
                if found.get(key) != expected.get(key):
                    print(f"  {key}: found {found.get(key)}, expected {expected.get(key)}")
        elif any(not np.array_equal(loaded[k], v) for k, v in expected_gradlab_values(norm).items()):
            failures += 1
            print(f"{name}: VALUES DIFFER from CheckpointTests.fillDeterministically")
        else:
            counters = {k: int(v) for k, v in loaded.items() if k.endswith("num_batches_tracked")}
            print(f"{name}: ok, {len(found)} tensors, names/shapes/dtypes as torch's state_dict, values as written, "
                  f"counters {counters}")
    # The reference file must also read back as written.
    state = reference_state_dict()
    loaded = load_file(os.path.join(HERE, "reference.safetensors"))
    same = loaded.keys() == state.keys() and all(
        loaded[k].dtype == state[k].dtype and loaded[k].shape == state[k].shape and np.array_equal(loaded[k], state[k])
        for k in state)
    print(f"reference.safetensors: {'ok' if same else 'MISMATCH'}")
    return failures == 0 and same


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if check() else 1)
    make()
