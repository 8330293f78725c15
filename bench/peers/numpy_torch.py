"""NumPy and PyTorch peers for bench/run.mjs: the same workloads as simdnet, on this process's thread count.

Run by bench/peers/python.mjs once per thread count, with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the environment. Prints one JSON object: what ran (versions,
BLAS and its kernel from threadpoolctl) and each figure (K1 GFLOPS, W1-W3 and W5 training samples/s, W4 and
W6 inference samples/s) for numpy and torch; a peer whose module is missing is reported as null with the reason.

  NumPy:   the tutorials' hand-written MLP step (forward, softmax cross-entropy, backward, SGD) in float32
           (W1-W4; no convnet).
  PyTorch: torch.nn.Sequential of Linear/ReLU + CrossEntropyLoss + optim.SGD, the usual training loop; for
           the convnet (W5, W6) Conv2d/ReLU/MaxPool2d/Flatten/Dropout/Linear, timed in both memory formats
           (NCHW, PyTorch's default, and channels_last, often faster on CPU: oneDNN) with the faster one kept
           and both recorded.
All take shuffled mini-batches of a 60000 x 784 float32 set (random values: the kernels' speed does not
depend on them) and are timed like simdnet (bench/timing.mjs): a warm-up, then the median of rounds.
"""
import json
import os
import sys
import time

THREADS = int(sys.argv[1])
QUICK = "--quick" in sys.argv
# --only=W1,K1 measures just those (the default: K1, W1-W6).
ONLY = next((a.split("=", 1)[1].split(",") for a in sys.argv if a.startswith("--only=")), ["K1", "W1", "W2", "W3", "W4", "W5", "W6"])
WORKLOADS = {
    "W1": {"sizes": [784, 128, 10], "lr": 0.1, "batch": 64},
    "W2": {"sizes": [784, 10, 10], "lr": 0.1, "batch": 64},
    "W3": {"sizes": [784, 512, 512, 10], "lr": 0.05, "batch": 128},
    "W4": {"sizes": [784, 128, 10], "batch": 1000},
    # The digits convnet (bench/cnn-model.mjs CONVNET): conv 32 3x3 relu, max-pool 2, conv 64 3x3 relu,
    # max-pool 2, flatten, dropout 0.5, dense 10; input 28x28x1.
    "W5": {"lr": 0.05, "batch": 128},
    "W6": {"batch": 1000},
}
TIMING = {"warm": 0.2, "rounds": 3, "round": 0.05} if QUICK else {"warm": 1.0, "rounds": 7, "round": 0.25}


def median_seconds_per_call(fn):
    """Median seconds per call over rounds of at least TIMING['round'] seconds, after a warm-up."""
    end = time.perf_counter() + TIMING["warm"]
    while time.perf_counter() < end:
        fn()
    per_call = []
    for _ in range(TIMING["rounds"]):
        t0 = time.perf_counter()
        calls = 0
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= TIMING["round"]:
                break
        per_call.append(elapsed / calls)
    per_call.sort()
    return per_call[len(per_call) // 2]


def batches(rng, rows, batch):
    """An endless stream of shuffled mini-batch index arrays (a new permutation per epoch)."""
    while True:
        order = rng.permutation(rows)
        for start in range(0, rows - batch + 1, batch):
            yield order[start:start + batch]


def numpy_peer(np):
    rng = np.random.default_rng(1)
    x_all = rng.random((60000, 784), dtype=np.float32)
    y_all = rng.integers(0, 10, 60000)
    out = {}
    out["K1"] = {}
    for m, k, n in [(64, 784, 128), (512, 512, 512)] if "K1" in ONLY else []:
        a = rng.random((m, k), dtype=np.float32) - 0.5
        b = rng.random((k, n), dtype=np.float32) - 0.5
        c = np.empty((m, n), dtype=np.float32)
        s = median_seconds_per_call(lambda: np.matmul(a, b, out=c))
        out["K1"][f"{m}x{k}x{n}"] = 2 * m * k * n / s / 1e9

    def init(sizes):
        ws, bs = [], []
        for i in range(1, len(sizes)):
            limit = np.sqrt(6 / (sizes[i - 1] + sizes[i]))
            ws.append(((rng.random((sizes[i - 1], sizes[i]), dtype=np.float32) * 2 - 1) * limit).astype(np.float32))
            bs.append(np.zeros(sizes[i], dtype=np.float32))
        return ws, bs

    def forward(ws, bs, x):
        acts = [x]
        for i, (w, b) in enumerate(zip(ws, bs)):
            z = acts[-1] @ w + b
            if i < len(ws) - 1:
                np.maximum(z, 0, out=z)
            acts.append(z)
        return acts

    for wid in [w for w in ["W1", "W2", "W3"] if w in ONLY]:
        wl = WORKLOADS[wid]
        ws, bs = init(wl["sizes"])
        stream = batches(rng, 60000, wl["batch"])
        lr = np.float32(wl["lr"])

        def step():
            idx = next(stream)
            x = x_all[idx]
            acts = forward(ws, bs, x)
            logits = acts[-1]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y_all[idx]] -= 1
            d = p / np.float32(len(idx))
            for i in range(len(ws) - 1, -1, -1):
                gw = acts[i].T @ d
                gb = d.sum(axis=0)
                if i > 0:
                    d = (d @ ws[i].T) * (acts[i] > 0)
                ws[i] -= lr * gw
                bs[i] -= lr * gb

        out[wid] = wl["batch"] / median_seconds_per_call(step)
    wl = WORKLOADS["W4"]
    ws, bs = init(wl["sizes"])
    x = x_all[: wl["batch"]]

    def infer():
        logits = forward(ws, bs, x)[-1]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    if "W4" in ONLY:
        out["W4"] = wl["batch"] / median_seconds_per_call(infer)
    return out


def torch_peer(torch):
    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    x_all = torch.rand(60000, 784)
    y_all = torch.randint(0, 10, (60000,))
    out = {"K1": {}}
    for m, k, n in [(64, 784, 128), (512, 512, 512)] if "K1" in ONLY else []:
        a = torch.rand(m, k) - 0.5
        b = torch.rand(k, n) - 0.5
        c = torch.empty(m, n)
        s = median_seconds_per_call(lambda: torch.mm(a, b, out=c))
        out["K1"][f"{m}x{k}x{n}"] = 2 * m * k * n / s / 1e9

    def model(sizes):
        layers = []
        for i in range(1, len(sizes)):
            layers.append(torch.nn.Linear(sizes[i - 1], sizes[i]))
            if i < len(sizes) - 1:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    rng = __import__("numpy").random.default_rng(2)
    loss_fn = torch.nn.CrossEntropyLoss()
    for wid in [w for w in ["W1", "W2", "W3"] if w in ONLY]:
        wl = WORKLOADS[wid]
        net = model(wl["sizes"])
        opt = torch.optim.SGD(net.parameters(), lr=wl["lr"])
        stream = batches(rng, 60000, wl["batch"])

        def step():
            idx = torch.from_numpy(next(stream))
            opt.zero_grad()
            loss = loss_fn(net(x_all[idx]), y_all[idx])
            loss.backward()
            opt.step()

        out[wid] = wl["batch"] / median_seconds_per_call(step)
    wl = WORKLOADS["W4"]
    net = model(wl["sizes"])
    x = x_all[: wl["batch"]]

    def infer():
        with torch.no_grad():
            return torch.softmax(net(x), dim=1)

    if "W4" in ONLY:
        out["W4"] = wl["batch"] / median_seconds_per_call(infer)
    out.update(torch_convnet(torch, x_all.view(60000, 1, 28, 28), y_all, rng, loss_fn))
    return out


def torch_convnet(torch, x_all, y_all, rng, loss_fn):
    """W5 and W6 in each memory format: the faster under the workload's key, both under W5formats / W6formats."""
    nn = torch.nn

    def convnet(memory_format):
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, 10),
        )
        return net.to(memory_format=memory_format)

    formats = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}
    out = {}

    def time_formats(wid, make_call):
        """Samples/s of make_call(memory_format) in each format: the faster under wid, both under wid + 'formats'."""
        rates = {name: WORKLOADS[wid]["batch"] / median_seconds_per_call(make_call(f)) for name, f in formats.items()}
        out[wid] = max(rates.values())
        out[wid + "formats"] = rates

    def training_step(memory_format):
        wl = WORKLOADS["W5"]
        net = convnet(memory_format)
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=wl["lr"])
        stream = batches(rng, 60000, wl["batch"])

        def step():
            idx = torch.from_numpy(next(stream))
            opt.zero_grad()
            loss = loss_fn(net(x_all[idx].contiguous(memory_format=memory_format)), y_all[idx])
            loss.backward()
            opt.step()

        return step

    def inference(memory_format):
        net = convnet(memory_format)
        net.eval()
        x = x_all[: WORKLOADS["W6"]["batch"]].contiguous(memory_format=memory_format)

        def infer():
            with torch.no_grad():
                return torch.softmax(net(x), dim=1)

        return infer

    if "W5" in ONLY:
        time_formats("W5", training_step)
    if "W6" in ONLY:
        time_formats("W6", inference)
    return out


def main():
    result = {"threads": THREADS, "python": sys.version.split()[0], "executable": sys.executable}
    try:
        import numpy as np
    except ImportError as error:
        print(json.dumps({**result, "numpy": None, "torch": None, "skipped": f"numpy: {error}"}))
        return
    result["numpyVersion"] = np.__version__
    try:
        from threadpoolctl import threadpool_info

        result["blas"] = [
            {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for info in threadpool_info()
        ]
    except ImportError:
        result["blas"] = "threadpoolctl not installed"
    result["numpy"] = numpy_peer(np)
    try:
        import torch
    except ImportError as error:
        result["torch"] = None
        result["torchSkipped"] = str(error)
    else:
        result["torchVersion"] = torch.__version__
        result["torch"] = torch_peer(torch)
    print(json.dumps(result))


main()
