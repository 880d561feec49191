"""GradLab against PyTorch, JAX and numpy on the same workloads (docs/BENCHMARKS.md).

Usage: bench_peers.py GRADLAB_BENCH GRADLAB OUT_DIR DOCS_DIR [--steps N] [--rounds R] [--threads T]

gradlab-bench --peers exports W1's initial weights and batches and times GradLab's side; this script
loads the same numbers into each peer, times the same steps (W6 and W7: the convolutions), times W5 (`gradlab report` on a synthetic
run of 20 layers × 10,000 steps), and writes docs/BENCHMARKS.md and docs/benchmarks.csv through
benchmarks_document.py (which holds the document's text, and rebuilds it alone from OUT_DIR). Every side runs
on T threads (default 1: OPENBLAS_NUM_THREADS=T for GradLab and numpy, torch.set_num_threads(T), XLA's CPU
backend on T threads), so the ratios compare implementations, not thread pools. Each pass keeps its
figures in OUT_DIR/results-T.json; the document holds every thread count measured so far in OUT_DIR
(`make bench-peers` runs T = 1, then T = 2), and each pass must run in a fresh process, since the thread
counts are fixed when numpy, torch and JAX load.
"""
import csv, json, os, pathlib, platform, subprocess, sys, time

bench, gradlab, out, docs = map(pathlib.Path, sys.argv[1:5])
args = sys.argv[5:]
steps = int(args[args.index("--steps") + 1]) if "--steps" in args else 300
rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 1
if threads < 1:
    sys.exit(f"bench_peers.py: --threads must be at least 1, got {threads}")
os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
os.environ["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                           f"intra_op_parallelism_threads={threads}")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import threadpoolctl

out.mkdir(parents=True, exist_ok=True); docs.mkdir(parents=True, exist_ok=True)

print(f"GradLab (gradlab-bench --peers), {threads} thread(s) ...", flush=True)
subprocess.run([str(bench), "--peers", str(out), "--steps", str(steps), "--rounds", str(rounds)], check=True)
gradlab_results = json.loads((out / "gradlab.json").read_text())
info = json.loads((out / "gradlab-info.json").read_text())
meta = json.loads((out / "w1.json").read_text())

def stats(samples, unit="ms"):
    s = sorted(samples)
    return {"median": s[len(s) // 2], "p10": s[len(s) // 10], "p90": s[min(len(s) - 1, len(s) * 9 // 10)], "unit": unit}

def load_w1(dtype):
    params = [(p["name"], np.fromfile(out / p["file"], dtype="<f8").reshape(p["shape"]).astype(dtype))
              for p in meta["parameters"]]
    x = np.fromfile(out / "w1-x.f64", dtype="<f8").reshape(meta["pool"], 128, 64).astype(dtype)
    y = np.fromfile(out / "w1-y.i64", dtype="<i8").reshape(meta["pool"], 128)
    return params, x, y

def timed_steps(step):
    samples = []
    for round in range(rounds + 1):
        for s in range(steps):
            t = time.perf_counter(); step(s)
            if round > 0: samples.append((time.perf_counter() - t) * 1e3)
    return stats(samples)

results = {}  # (workload, peer) -> stats

# ---- numpy: hand-written backprop, the same arithmetic as GradLab's engine.
def numpy_w1(dtype, statistics):
    params, x, y = load_w1(dtype)
    p = dict(params); names = [n for n, _ in params]; lr = dtype(meta["lr"])
    writer = open(out / f"w2-numpy-{np.dtype(dtype).name}.csv", "w", newline="") if statistics else None
    w = csv.writer(writer) if writer else None
    def step(s):
        b = s % meta["pool"]; h = x[b]; cache = []
        layers = len(meta["sizes"]) - 1
        for i in range(layers):
            z = h @ p[f"{2*i}.weight"].T + p[f"{2*i}.bias"]; cache.append(h)
            h = np.tanh(z) if i < layers - 1 else z
            if i < layers - 1: cache[-1] = (cache[-1], h)
            else: cache[-1] = (cache[-1], None)
        z = h - h.max(axis=1, keepdims=True); e = np.exp(z); prob = e / e.sum(axis=1, keepdims=True)
        g = prob; g[np.arange(128), y[b]] -= 1; g /= 128
        grads = {}
        for i in reversed(range(layers)):
            inp, _ = cache[i]
            grads[f"{2*i}.weight"] = g.T @ inp; grads[f"{2*i}.bias"] = g.sum(axis=0)
            g = g @ p[f"{2*i}.weight"]
            if i > 0: g = g * (1 - cache[i - 1][1] ** 2)
        for n in names:
            before = p[n].copy() if statistics else None
            p[n] -= lr * grads[n]
            if statistics:
                gr = grads[n]; wn = float(np.linalg.norm(p[n])); un = float(np.linalg.norm(p[n] - before))
                w.writerow([s + 1, n, float(np.linalg.norm(gr)), float(gr.mean()), float(gr.std()), float(np.abs(gr).max()),
                            float((gr == 0).mean()), int((~np.isfinite(gr)).sum()), wn, un, un / wn])
    r = timed_steps(step)
    if writer: writer.close()
    return r

# ---- PyTorch: nn.Sequential, torch.optim.SGD, a loop over named_parameters for W2.
import torch
torch.set_num_threads(threads)
def torch_model(dtype, sizes, activation):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2: layers.append(activation())
    return torch.nn.Sequential(*layers).to(dtype)

def torch_w1(dtype, statistics):
    params, x, y = load_w1(np.float32 if dtype == torch.float32 else np.float64)
    model = torch_model(dtype, meta["sizes"], torch.nn.Tanh)
    with torch.no_grad():
        for (name, tensor) in model.named_parameters(): tensor.copy_(torch.from_numpy(dict(params)[name]))
    xs = [torch.from_numpy(x[b]) for b in range(meta["pool"])]; ys = [torch.from_numpy(y[b]) for b in range(meta["pool"])]
    opt = torch.optim.SGD(model.parameters(), lr=meta["lr"]); lossf = torch.nn.CrossEntropyLoss()
    writer = open(out / f"w2-torch-{str(dtype)[6:]}.csv", "w", newline="") if statistics else None
    w = csv.writer(writer) if writer else None
    named = list(model.named_parameters())
    def step(s):
        b = s % meta["pool"]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xs[b]), ys[b]); loss.backward()
        before = [p.detach().clone() for _, p in named] if statistics else None
        opt.step()
        if statistics:
            with torch.no_grad():
                for (n, p), prev in zip(named, before):
                    g = p.grad; wn = p.norm().item(); un = (p - prev).norm().item()
                    w.writerow([s + 1, n, g.norm().item(), g.mean().item(), g.std(unbiased=False).item(), g.abs().max().item(),
                                (g == 0).double().mean().item(), int((~torch.isfinite(g)).sum()), wn, un, un / wn])
    r = timed_steps(step)
    if writer: writer.close()
    return r

# ---- JAX: jit of the whole SGD step.
import jax, jax.numpy as jnp
from jax.test_util import check_grads
jax.config.update("jax_enable_x64", True)
def jax_w1(dtype):
    params, x, y = load_w1(dtype)
    p = [jnp.asarray(v) for _, v in params]
    layers = len(meta["sizes"]) - 1
    def loss(p, xb, yb):
        h = xb
        for i in range(layers):
            h = h @ p[2 * i].T + p[2 * i + 1]
            if i < layers - 1: h = jnp.tanh(h)
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(128), yb])
    @jax.jit
    def step_fn(p, xb, yb):
        g = jax.grad(loss)(p, xb, yb)
        return [a - meta["lr"] * b for a, b in zip(p, g)]
    xs = [jnp.asarray(x[b]) for b in range(meta["pool"])]; ys = [jnp.asarray(y[b]) for b in range(meta["pool"])]
    state = {"p": p}
    def step(s):
        b = s % meta["pool"]; state["p"] = step_fn(state["p"], xs[b], ys[b]); state["p"][0].block_until_ready()
    return timed_steps(step)

for label, np_dtype, t_dtype in [("Float", np.float32, torch.float32), ("Double", np.float64, torch.float64)]:
    print(f"W1/W2 {label}: numpy, torch, jax ...", flush=True)
    results[(f"W1 {label}", "numpy")] = numpy_w1(np_dtype, False)
    results[(f"W2 {label}", "numpy")] = numpy_w1(np_dtype, True)
    results[(f"W1 {label}", "torch")] = torch_w1(t_dtype, False)
    results[(f"W2 {label}", "torch")] = torch_w1(t_dtype, True)
    results[(f"W1 {label}", "jax")] = jax_w1(np_dtype)

# ---- W3: torch forward + backward of the 1024-wide relu MLP, as GFLOP/s, and torch's own matmul rate.
print("W3: torch ...", flush=True)
sizes3 = [1024, 1024, 1024, 1024, 1024, 10]
model3 = torch_model(torch.float32, sizes3, torch.nn.ReLU)
x3 = torch.randn(256, 1024); y3 = torch.randint(0, 10, (256,)); lossf = torch.nn.CrossEntropyLoss()
flops = 3 * 2 * 256 * sum(a * b for a, b in zip(sizes3, sizes3[1:]))
def fb(_):
    model3.zero_grad(set_to_none=True); lossf(model3(x3), y3).backward()
r = timed_steps(fb)
results[("W3 GFLOP/s", "torch")] = {k: (flops / (v * 1e6) if k != "unit" else "GFLOP/s") for k, v in r.items()}
results[("W3 GFLOP/s", "torch")]["p10"], results[("W3 GFLOP/s", "torch")]["p90"] = flops / (r["p90"] * 1e6), flops / (r["p10"] * 1e6)
a = torch.randn(256, 1024); bm = torch.randn(1024, 1024)
mm = timed_steps(lambda _: torch.mm(a, bm))
results[("W3 sgemm GFLOP/s", "torch")] = {"median": 2 * 256 * 1024 * 1024 / (mm["median"] * 1e6),
                                          "p10": 2 * 256 * 1024 * 1024 / (mm["p90"] * 1e6),
                                          "p90": 2 * 256 * 1024 * 1024 / (mm["p10"] * 1e6), "unit": "GFLOP/s"}

# ---- W4: gradient check of 8 → 3 × 16 tanh → 4, batch 4, MSE, Double.
print("W4: torch.autograd.gradcheck slow and fast, jax check_grads ...", flush=True)
torch.manual_seed(0)
model4 = torch_model(torch.float64, [8, 16, 16, 16, 4], torch.nn.Tanh)
x4 = torch.randn(4, 8, dtype=torch.float64); y4 = torch.randn(4, 4, dtype=torch.float64)
ps = [p.detach().clone().requires_grad_(True) for p in model4.parameters()]
def f4(*params):
    h = x4
    for i in range(4):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < 3: h = torch.tanh(h)
    return ((h - y4) ** 2).mean()
def runs(fn, n):
    samples = []
    for _ in range(n):
        t = time.perf_counter(); fn(); samples.append((time.perf_counter() - t) * 1e3)
    return stats(samples)
results[("W4 full", "torch gradcheck")] = runs(lambda: torch.autograd.gradcheck(f4, ps, fast_mode=False), 9)
results[("W4 direction", "torch gradcheck fast")] = runs(lambda: torch.autograd.gradcheck(f4, ps, fast_mode=True), 21)
# The wide twin, 8 → 3 × 64 tanh → 4 (9,156 parameters), full mode only: one Jacobian column per parameter.
torch.manual_seed(0)
model4w = torch_model(torch.float64, [8, 64, 64, 64, 4], torch.nn.Tanh)
psw = [p.detach().clone().requires_grad_(True) for p in model4w.parameters()]
results[("W4 wide full", "torch gradcheck")] = runs(lambda: torch.autograd.gradcheck(f4, psw, fast_mode=False), 3)
pj = [jnp.asarray(p.detach().numpy()) for p in ps]; xj, yj = jnp.asarray(x4.numpy()), jnp.asarray(y4.numpy())
def fj(params):
    h = xj
    for i in range(4):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < 3: h = jnp.tanh(h)
    return jnp.mean((h - yj) ** 2)
check_grads(fj, (pj,), order=1, modes=["rev"])
results[("W4 direction", "jax check_grads")] = runs(lambda: check_grads(fj, (pj,), order=1, modes=["rev"]), 21)

# ---- W6: the digits convnet's SGD step on GradLab's weights and batches; W7: Conv2d(64, 64, 3, padding=1)
# forward + backward on [8, 64, 32, 32] (the input's gradient included, as GradLab computes it).
print("W6/W7: torch convolutions ...", flush=True)
m6 = json.loads((out / "w6.json").read_text())
model6 = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 32, 3, padding=1),
                             torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(512, 10))
with torch.no_grad():
    named6 = dict(model6.named_parameters())
    for p in m6["parameters"]:
        named6[p["name"]].copy_(torch.from_numpy(np.fromfile(out / p["file"], dtype="<f8").reshape(p["shape"]).astype(np.float32)))
x6 = np.fromfile(out / "w6-x.f64", dtype="<f8").reshape(m6["pool"], m6["batch"], 1, 8, 8).astype(np.float32)
y6 = np.fromfile(out / "w6-y.i64", dtype="<i8").reshape(m6["pool"], m6["batch"])
xs6 = [torch.from_numpy(x6[b]) for b in range(m6["pool"])]; ys6 = [torch.from_numpy(y6[b]) for b in range(m6["pool"])]
opt6 = torch.optim.SGD(model6.parameters(), lr=m6["lr"]); lossf6 = torch.nn.CrossEntropyLoss()
def step6(s):
    b = s % m6["pool"]
    opt6.zero_grad(set_to_none=True); lossf6(model6(xs6[b]), ys6[b]).backward(); opt6.step()
results[("W6 Float", "torch")] = timed_steps(step6)
conv7 = torch.nn.Conv2d(64, 64, 3, padding=1)
x7 = torch.randn(8, 64, 32, 32, requires_grad=True); g7 = torch.randn(8, 64, 32, 32)
flops7 = 3 * 2 * 64 * 576 * 8 * 32 * 32
def pass7():
    conv7.zero_grad(set_to_none=True); x7.grad = None; conv7(x7).backward(g7)
for _ in range(3): pass7()
rates7 = []
for _ in range(rounds):
    samples7 = []
    for _ in range(max(10, steps // 10)):
        t = time.perf_counter(); pass7(); samples7.append(time.perf_counter() - t)
    rates7.append(flops7 / (sorted(samples7)[len(samples7) // 2] * 1e9))
results[("W7 GFLOP/s", "torch")] = stats(rates7, "GFLOP/s")
# ---- W8: an LSTM training step, torch's nn.LSTM (batch_first) on GradLab's weights and batches.
print("W8: torch nn.LSTM training step ...", flush=True)
meta8 = json.loads((out / "w8.json").read_text())
class LSTMModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(meta8["input"], meta8["hidden"], batch_first=True)
        self.linear = torch.nn.Linear(meta8["hidden"], 1)
    def forward(self, x):
        out, _ = self.lstm(x)
        return self.linear(out[:, -1])
def torch_w8():
    model = LSTMModel()
    # GradLab's names are Sequential's (0.weight_ih_l0, ..., 2.weight); torch's state_dict has the same order.
    with torch.no_grad():
        for (name, tensor), p in zip(model.named_parameters(), meta8["parameters"]):
            value = np.fromfile(out / p["file"], dtype="<f8").reshape(p["shape"])
            assert list(tensor.shape) == p["shape"] and name.split(".")[-1] == p["name"].split(".")[-1], (name, p)
            tensor.copy_(torch.from_numpy(value))
    pool, b, t, f = meta8["pool"], meta8["batch"], meta8["steps"], meta8["input"]
    x = np.fromfile(out / "w8-x.f64", dtype="<f8").reshape(pool, b, t, f)
    y = np.fromfile(out / "w8-y.f64", dtype="<f8").reshape(pool, b, 1)
    lossf = torch.nn.MSELoss()
    with torch.no_grad():
        first = lossf(model.double()(torch.from_numpy(x[0])), torch.from_numpy(y[0])).item()
    assert abs(first - meta8["first_loss"]) <= 1e-9 * (1 + abs(first)), (first, meta8["first_loss"])
    model = model.float()
    xs = [torch.from_numpy(x[i].astype(np.float32)) for i in range(pool)]
    ys = [torch.from_numpy(y[i].astype(np.float32)) for i in range(pool)]
    opt = torch.optim.SGD(model.parameters(), lr=meta8["lr"])
    def step(s):
        opt.zero_grad(set_to_none=True)
        lossf(model(xs[s % pool]), ys[s % pool]).backward()
        opt.step()
    return timed_steps(step)
results[("W8 LSTM Float", "torch")] = torch_w8()

# ---- W5: gradlab report on 20 layers × 10,000 steps.
print("W5: gradlab report on a synthetic 20-layer, 10,000-step run ...", flush=True)
run5 = out / "w5-run"
if not (run5 / "run.json").exists():
    subprocess.run([sys.executable, str(pathlib.Path(__file__).with_name("make_run.py")), str(run5)], check=True)
samples = []
for _ in range(rounds):
    t = time.perf_counter()
    subprocess.run([str(gradlab), "report", str(run5), "--out", str(out / "w5-report")], check=True, capture_output=True)
    samples.append((time.perf_counter() - t) * 1e3)
results[("W5 report", "GradLab")] = stats(samples)

for name, t in gradlab_results.items():
    results[(name, "GradLab")] = t
results[("W1 Float product floor", "GradLab")] = gradlab_results["W1 Float product floor"]

# ---- Output: this pass's figures.
(out / f"results-{threads}.json").write_text(json.dumps({f"{w}|{p}": t for (w, p), t in results.items()}, indent=1))
# The machine and versions of this run, for the document; then the document from every pass in OUT_DIR.
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
# numpy's wheel carries its own OpenBLAS, which may choose other kernels than the system's one GradLab uses.
numpy_blas = ", ".join(f"{i['internal_api']} {i['version']} core {i.get('architecture', '?')}"
                       for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas" and "torch" not in i["filepath"])
(out / "peers-info.json").write_text(json.dumps({
    "cpu": cpu, "cores": os.cpu_count(), "system": f"{platform.system()} {platform.release()}",
    "versions": {"numpy": np.__version__, "torch": torch.__version__, "jax": jax.__version__,
                 "python": platform.python_version()},
    "numpy_blas": numpy_blas or "unknown", "steps": steps, "rounds": rounds}, indent=1))
subprocess.run([sys.executable, str(pathlib.Path(__file__).with_name("benchmarks_document.py")), str(out), str(docs)],
               check=True)
