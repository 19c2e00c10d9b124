#!/usr/bin/python3
"""PyTorch reference of the DGGF authors' 2-D toy training loop.

Replicates clear-nus/fdrl `train_toy_datasets.py` + `src/model_utils.py`
(Pearson chi^2 / LSIF density-ratio MLP, K-step particle flow, Adam + EMA)
so `npm run bench` can time it side by side with the TypeScript engine.
Workloads `cnn-mnist-cpu`, `cnn-paper-32` and `authors-paper-32` time one
flow step and one train step of our conv ratio nets (src/nets/conv.ts) and
the authors' (src/nets/basic-resnet.ts) on 64 images.

Needs only torch + the standard library. Run it with Debian's interpreter:

    /usr/bin/python3 bench/torch_reference.py --workload paper-toy --iterations 5

Output: exactly ONE JSON line on stdout (see bench/README.md).
Exit codes: 0 ok, 1 --check found a non-finite loss, 2 bad arguments,
3 torch not importable.
"""

import argparse
import json
import math
import os
import platform
import re
import resource
import statistics
import sys
import time



def _pre_import_blas_threads(argv):
    """OpenBLAS (Debian's torch links the generic libblas.so.3 ->
    openblas-pthread) keeps its OWN thread pool, sized to the core count and
    NOT governed by torch.set_num_threads. It reads OPENBLAS_NUM_THREADS
    once, when the library loads, so it must be set before `import torch`.
    Precedence: --blas-threads N, else an OPENBLAS_NUM_THREADS already in the
    environment, else the --threads value (default 1)."""
    def opt(name):
        for i, a in enumerate(argv):
            if a == name and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(name + "="):
                return a.split("=", 1)[1]
        return None
    val = opt("--blas-threads")
    if val is None and "OPENBLAS_NUM_THREADS" in os.environ:
        return
    if val is None:
        val = opt("--threads") or "1"
    if val.isdigit() and int(val) > 0:
        os.environ["OPENBLAS_NUM_THREADS"] = val


_pre_import_blas_threads(sys.argv[1:])

try:
    import torch
    import torch.nn as nn
except Exception as exc:  # ImportError, or a broken install (missing .so)
    print(json.dumps({"error": "torch not available: %s: %s" % (type(exc).__name__, exc)}))
    sys.stdout.flush()
    sys.exit(3)


# --------------------------------------------------------------------------
# Helpers shared by workloads
# --------------------------------------------------------------------------

def blas_info():
    """Which BLAS torch uses: BLAS_INFO from the build config, plus the
    shared library actually mapped into this process (Debian's torch links
    the generic libblas.so.3, resolved through update-alternatives)."""
    build = None
    try:
        cfg = torch.__config__.show()
        m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
        if m:
            build = m.group(1)
    except Exception:
        pass
    mapped = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = path.rsplit("/", 1)[-1].lower()
                if any(k in name for k in ("blas", "mkl_", "libmkl", "blis", "atlas")):
                    mapped.add(path)
    except Exception:
        pass
    if build is None and not mapped:
        return "unknown"
    out = build or "unknown"
    if mapped:
        out += " (" + ", ".join(sorted(mapped)) + ")"
    return out


def blas_threads():
    """Threads the loaded OpenBLAS will use (None if not OpenBLAS)."""
    try:
        import ctypes
        with open("/proc/self/maps") as fh:
            libs = {l.split()[-1] for l in fh if "openblas" in l.split()[-1].lower()
                    and ".so" in l.split()[-1]}
        for path in sorted(libs):
            lib = ctypes.CDLL(path)  # already loaded: returns the same handle
            if hasattr(lib, "openblas_get_num_threads"):
                return int(lib.openblas_get_num_threads())
    except Exception:
        pass
    return None


class EMA:
    """Exponential moving average of parameters: ema = mu*ema + (1-mu)*p,
    updated after every optimizer step (authors' rate 0.998)."""

    def __init__(self, model, mu):
        self.mu = mu
        self.shadow = [p.detach().clone() for p in model.parameters()]

    @torch.no_grad()
    def update(self, model):
        for s, p in zip(self.shadow, model.parameters()):
            s.mul_(self.mu).add_(p.detach(), alpha=1.0 - self.mu)


def workload_config(defaults, batch=None, flow_steps=None):
    """A workload's settings: its defaults with the command line's overrides."""
    c = dict(defaults)
    if batch is not None:
        c["batch"] = batch
    if flow_steps is not None:
        c["flow_steps"] = flow_steps
    return c


def ms_since(t0):
    return (time.perf_counter() - t0) * 1000.0


# --------------------------------------------------------------------------
# Workload: paper-toy (2-D 8gaussians, MLP, LSIF / Pearson chi^2)
# --------------------------------------------------------------------------

class PaperToy:
    name = "paper-toy"
    defaults = {
        "batch": 1024,
        "flow_steps": 200,   # K
        "eta": 1.0,          # flow step size
        "noise": 0.01,       # flow noise scale
        "lr": 5e-5,
        "betas": (0.9, 0.999),
        "ema": 0.998,
        "hidden": 64,
    }

    def __init__(self, seed, batch=None, flow_steps=None):
        c = self.cfg = workload_config(self.defaults, batch, flow_steps)
        torch.manual_seed(seed)
        h = c["hidden"]
        layers = [nn.Linear(2, h), nn.LeakyReLU(0.2)]
        for _ in range(3):
            layers += [nn.Linear(h, h), nn.LeakyReLU(0.2)]
        layers += [nn.Linear(h, 1)]
        self.model = nn.Sequential(*layers)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=c["lr"], betas=c["betas"])
        self.ema = EMA(self.model, c["ema"])
        s = 2.0
        r = 1.0 / math.sqrt(2.0)
        self.centers = torch.tensor(
            [(1, 0), (-1, 0), (0, 1), (0, -1), (r, r), (r, -r), (-r, r), (-r, -r)],
            dtype=torch.float32) * s

    def sample_data(self, n):
        """Authors' 8gaussians: uniform ring centre + N(0, 0.02^2), then /1.414."""
        idx = torch.randint(0, 8, (n,))
        pts = self.centers[idx] + 0.02 * torch.randn(n, 2)
        return pts / 1.414

    def flow(self, x):
        """K steps of x <- x - eta * grad_x f'(r(x)) - noise * randn,
        f'(r) = 2 r for Pearson chi^2 (the LSIF net outputs r)."""
        c = self.cfg
        eta, noise = c["eta"], c["noise"]
        x = x.detach()
        for _ in range(c["flow_steps"]):
            x.requires_grad_(True)
            out = self.model(x)
            fprime = 2.0 * out
            (grad,) = torch.autograd.grad(fprime.sum(), x)
            x = (x - eta * grad - noise * torch.randn_like(x)).detach()
        return x

    def train_step(self, x_de, x_nu):
        """LSIF loss mean(0.5 r(x_de)^2) - mean(r(x_nu)), Adam step, EMA."""
        self.opt.zero_grad(set_to_none=True)
        loss = (0.5 * self.model(x_de) ** 2).mean() - self.model(x_nu).mean()
        loss.backward()
        self.opt.step()
        self.ema.update(self.model)
        return loss.item()

    def iteration(self):
        c0 = time.process_time()
        t0 = time.perf_counter()
        n = self.cfg["batch"]
        x_de = self.sample_data(n)
        x_nu = torch.randn(n, 2)
        t1 = time.perf_counter()
        c1 = time.process_time()
        x_nu = self.flow(x_nu)
        flow_ms = ms_since(t1)
        flow_cpu_ms = (time.process_time() - c1) * 1000.0
        t2 = time.perf_counter()
        c2 = time.process_time()
        loss = self.train_step(x_de, x_nu)
        train_ms = ms_since(t2)
        return {"ms": ms_since(t0), "cpu_ms": (time.process_time() - c0) * 1000.0,
                "flow_ms": flow_ms, "train_ms": train_ms, "loss": loss,
                "flow_cpu_ms": flow_cpu_ms, "train_cpu_ms": (time.process_time() - c2) * 1000.0}


# --------------------------------------------------------------------------
# Workloads: cnn-mnist-cpu, cnn-paper-32 (one flow step and one train step of
# OUR conv ratio nets, src/nets/conv.ts, on a batch of 64 images)
# --------------------------------------------------------------------------
#
# Same architectures as src/nets/conv.ts, in NCHW float32 (ours is NHWC; the
# arithmetic is the same). Padding: TF.js 'same' pads a conv by
# total = max((ceil(H/s) - 1)*s + k - H, 0), split floor/ceil (the extra pixel
# goes bottom/right). conv3x3 stride 1: total 2 -> (1,1) = PyTorch padding=1.
# conv4x4 stride 2 on an even H: total 2 -> (1,1) = padding=1, output H/2
# (28->14->7, 32->16->8). Only on an odd H would TF pad (1,2) where padding=1
# pads (1,1) and drops the last row: same output size and FLOPs, so timings
# are comparable either way; the presets timed here never hit that case.
# LeakyReLU(0.2) everywhere; weights U(+-1/sqrt(fan_in)) (PyTorch's defaults
# and ours).

class ConvCnn(nn.Module):
    """`cnn`: conv3x3 s1 -> c0, then conv4x4 s2 per further width, LeakyReLU
    after each, global mean pool (or, with flatten_side, the flattened last map
    of side x side), dense hidden layers (`hidden` widths, LeakyReLU), Linear ->
    1. spectral: every layer wrapped in PyTorch's own spectral_norm (one power
    iteration per forward, persistent u), as a PyTorch user would write our
    `spectralNorm: true`."""

    def __init__(self, in_channels, channels, flatten_side=None, spectral=False, hidden=()):
        super().__init__()
        sn = nn.utils.spectral_norm if spectral else (lambda m: m)
        convs, cin = [], in_channels
        for i, cout in enumerate(channels):
            convs.append(sn(nn.Conv2d(cin, cout, 3, 1, 1) if i == 0 else nn.Conv2d(cin, cout, 4, 2, 1)))
            cin = cout
        self.convs = nn.ModuleList(convs)
        self.act = nn.LeakyReLU(0.2)
        self.flatten = flatten_side is not None
        width = cin * flatten_side * flatten_side if self.flatten else cin
        dense = []
        for units in hidden:
            dense.append(sn(nn.Linear(width, units)))
            width = units
        self.hidden = nn.ModuleList(dense)
        self.dense = sn(nn.Linear(width, 1))

    def forward(self, x):
        h = x
        for conv in self.convs:
            h = self.act(conv(h))
        h = h.flatten(1) if self.flatten else h.mean(dim=(2, 3))
        for layer in self.hidden:
            h = self.act(layer(h))
        return self.dense(h)


class PreActBlock(nn.Module):
    """act -> conv3x3 -> act -> conv3x3, 1x1 shortcut conv when the width
    changes; a "down" block average-pools both paths 2x2 after the convs."""

    def __init__(self, cin, cout, down, act):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.down = down
        self.act = act

    def forward(self, h):
        r = self.conv2(self.act(self.conv1(self.act(h))))
        s = self.skip(h) if self.skip is not None else h
        if self.down:
            r = nn.functional.avg_pool2d(r, 2)
            s = nn.functional.avg_pool2d(s, 2)
        return s + r


class ConvResNet(nn.Module):
    """`resnet`: conv3x3 stem, pre-activation blocks, act, global mean pool,
    Linear -> 1."""

    def __init__(self, in_channels, stem, blocks):
        super().__init__()
        self.act = nn.LeakyReLU(0.2)
        self.stem = nn.Conv2d(in_channels, stem, 3, 1, 1)
        layers, cin = [], stem
        for cout, down in blocks:
            layers.append(PreActBlock(cin, cout, down, self.act))
            cin = cout
        self.blocks = nn.Sequential(*layers)
        self.dense = nn.Linear(cin, 1)

    def forward(self, x):
        h = self.blocks(self.stem(x))
        return self.dense(self.act(h).mean(dim=(2, 3)))


class PostActBlock(nn.Module):
    """The authors' BasicBlock (clear-nus/fdrl src/models.py), as our
    `basic-resnet` has it: conv3x3 (stride s, pad 1, no bias) -> act ->
    conv3x3 (pad 1, no bias) -> + shortcut -> act; the shortcut is a 1x1 conv
    (stride s, no bias) when the stride or the width changes. `sn` wraps every
    conv in PyTorch's spectral_norm, as their `spectral_norm: true`."""

    def __init__(self, cin, cout, stride, act, sn):
        super().__init__()
        self.conv1 = sn(nn.Conv2d(cin, cout, 3, stride, 1, bias=False))
        self.conv2 = sn(nn.Conv2d(cout, cout, 3, 1, 1, bias=False))
        self.skip = sn(nn.Conv2d(cin, cout, 1, stride, bias=False)) if stride != 1 or cin != cout else None
        self.act = act

    def forward(self, h):
        r = self.conv2(self.act(self.conv1(h)))
        return self.act(r + (self.skip(h) if self.skip is not None else h))


class AuthorsResNet(nn.Module):
    """The authors' ResNet32x32 family (`basic-resnet`): conv3x3 stem (no
    bias) -> act, stages of post-activation blocks (the first block of a stage
    has its stride), global mean pool, Linear -> 1; spectral norm on every
    layer when `spectral`."""

    def __init__(self, in_channels, stem, stages, spectral=False):
        super().__init__()
        sn = nn.utils.spectral_norm if spectral else (lambda m: m)
        self.act = nn.LeakyReLU(0.2)
        self.stem = sn(nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False))
        layers, cin = [], stem
        for cout, blocks, stride in stages:
            for b in range(blocks):
                layers.append(PostActBlock(cin, cout, stride if b == 0 else 1, self.act, sn))
                cin = cout
        self.blocks = nn.Sequential(*layers)
        self.dense = sn(nn.Linear(cin, 1))

    def forward(self, x):
        return self.dense(self.blocks(self.act(self.stem(x))).mean(dim=(2, 3)))


class CnnStep:
    """One Euler-Maruyama flow step and one training step of a conv ratio net
    (batch 64 by default), timed separately:

    - flow step: x <- x - eta * grad_x f'(net(x)) + noise * randn, autograd
      w.r.t. x only (LR-KL: f' = log r = net output; LSIF-chi^2: f' = 2 r);
    - train step: forward on the flowed batch and on a data batch (two
      forward passes, as our Trainer and the authors do), the ratio loss
      (LR: softplus BCE, flowed particles labelled 1; LSIF: mean(r_de^2 / 2)
      - mean(r_nu)), backward on the parameters, Adam step, EMA update.

    `flow_steps` is the number of flow steps timed as "flow" (default 1).
    Data are uniform in [-1, 1] (the pixel range), not timed."""

    name = None
    defaults = {}

    def __init__(self, seed, batch=None, flow_steps=None):
        c = self.cfg = workload_config(self.defaults, batch, flow_steps)
        torch.manual_seed(seed)
        self.model = self.build()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=c["lr"], betas=(0.9, 0.999))
        self.ema = EMA(self.model, c["ema"])

    def fprime(self, out):
        return out if self.cfg["loss"] == "lr" else 2.0 * out

    def loss(self, out_nu, out_de):
        if self.cfg["loss"] == "lr":
            sp = nn.functional.softplus
            return sp(out_de).mean() + sp(-out_nu).mean()
        return (0.5 * out_de ** 2).mean() - out_nu.mean()

    def flow(self, x):
        c = self.cfg
        eta, noise = c["eta"], c["noise"]
        x = x.detach()
        for _ in range(c["flow_steps"]):
            x.requires_grad_(True)
            (grad,) = torch.autograd.grad(self.fprime(self.model(x)).sum(), x)
            x = (x - eta * grad + noise * torch.randn_like(x)).detach()
        return x

    def train_step(self, x_de, x_nu):
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss(self.model(x_nu), self.model(x_de))
        loss.backward()
        self.opt.step()
        self.ema.update(self.model)
        return loss.item()

    def iteration(self):
        c0 = time.process_time()
        t0 = time.perf_counter()
        n, shape = self.cfg["batch"], self.cfg["image"]
        x_de = torch.rand(n, *shape) * 2.0 - 1.0
        x_nu = torch.randn(n, *shape)
        t1 = time.perf_counter()
        c1 = time.process_time()
        x_nu = self.flow(x_nu)
        flow_ms = ms_since(t1)
        flow_cpu_ms = (time.process_time() - c1) * 1000.0
        t2 = time.perf_counter()
        c2 = time.process_time()
        loss = self.train_step(x_de, x_nu)
        train_ms = ms_since(t2)
        return {"ms": ms_since(t0), "cpu_ms": (time.process_time() - c0) * 1000.0,
                "flow_ms": flow_ms, "train_ms": train_ms, "loss": loss,
                "flow_cpu_ms": flow_cpu_ms, "train_cpu_ms": (time.process_time() - c2) * 1000.0}


class CnnMnistCpu(CnnStep):
    """Preset `mnist-cpu`: cnn [16, 32, 64] on 28x28x1 with a flatten head
    (7x7x64), a dense hidden layer of 128 and spectral norm, LR-KL, eta 2,
    nu 0.01, lr 2e-4, EMA 0.998."""
    name = "cnn-mnist-cpu"
    defaults = {"batch": 64, "flow_steps": 1, "image": (1, 28, 28), "loss": "lr",
                "eta": 2.0, "noise": 0.01, "lr": 2e-4, "ema": 0.998}

    def build(self):
        return ConvCnn(1, [16, 32, 64], flatten_side=7, spectral=True, hidden=(128,))


class CnnPaper32(CnnStep):
    """Our pre-activation ResNet of preset `paper-32`'s size (PREACT_RESNETS[32]
    in src/config/presets.ts; the preset itself now runs the authors' net):
    stem 128, blocks 3 x 128 then 3 x (256 down, 256, 256) on 32x32x3,
    LSIF-chi^2, eta 3, nu 0.01, lr 1e-4, EMA 0.998."""
    name = "cnn-paper-32"
    defaults = {"batch": 64, "flow_steps": 1, "image": (3, 32, 32), "loss": "lsif",
                "eta": 3.0, "noise": 0.01, "lr": 1e-4, "ema": 0.998}

    def build(self):
        blocks = [(128, False)] * 3 + [(256, True), (256, False), (256, False)] * 3
        return ConvResNet(3, 128, blocks)


class AuthorsPaper32(CnnStep):
    """Preset `paper-32` as it stands: the authors' ResNet32x32
    (AUTHORS_NETS.resnet32 + spectral norm, their cifar10.yaml): stem 128,
    128 x3, then 256 x3 three times (stride 2 first), on 32x32x3, LSIF-chi^2,
    eta 3, nu 0.01, lr 1e-4, EMA 0.998."""
    name = "authors-paper-32"
    defaults = CnnPaper32.defaults

    def build(self):
        return AuthorsResNet(3, 128, [(128, 3, 1), (256, 3, 2), (256, 3, 2), (256, 3, 2)], spectral=True)


# name -> class with __init__(seed, batch, flow_steps), .cfg and
# .iteration() -> {"ms", "cpu_ms", "flow_ms", "train_ms", "loss"}.
WORKLOADS = {
    PaperToy.name: PaperToy,
    CnnMnistCpu.name: CnnMnistCpu,
    CnnPaper32.name: CnnPaper32,
    AuthorsPaper32.name: AuthorsPaper32,
}


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", default="paper-toy", choices=sorted(WORKLOADS))
    ap.add_argument("--iterations", type=int, default=None,
                    help="timed iterations (default 5; 3 with --check)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed iterations first (default 1)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pool size (default: $OPENBLAS_NUM_THREADS if set, else --threads)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=None, help="override the workload's batch size")
    ap.add_argument("--flow-steps", type=int, default=None, help="override K (flow steps)")
    ap.add_argument("--check", action="store_true",
                    help="sanity mode: run a few iterations (default 3), report the final loss, "
                         "exit 1 if it is not finite")
    args = ap.parse_args(argv)
    if args.iterations is None:
        args.iterations = 3 if args.check else 5
    if args.iterations < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--iterations >= 1, --warmup >= 0, --threads >= 1")

    torch.set_num_threads(args.threads)
    wl = WORKLOADS[args.workload](args.seed, batch=args.batch, flow_steps=args.flow_steps)

    if args.check:
        n = args.iterations
        losses = [wl.iteration()["loss"] for _ in range(n)]
        ok = all(math.isfinite(v) for v in losses)
        print(json.dumps({
            "workload": args.workload, "check": True, "iterations": n,
            "losses": losses, "final_loss": losses[-1], "finite": ok,
        }))
        return 0 if ok else 1

    for _ in range(args.warmup):
        wl.iteration()
    runs = [wl.iteration() for _ in range(args.iterations)]
    r3 = lambda v: round(v, 3)
    print(json.dumps({
        "workload": args.workload,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_info(),
        "blas_threads": blas_threads(),
        "iterations": args.iterations,
        "warmup": args.warmup,
        "seed": args.seed,
        "batch": wl.cfg.get("batch"),
        "flow_steps": wl.cfg.get("flow_steps"),
        "ms": [r3(r["ms"]) for r in runs],
        "median_ms": r3(statistics.median(r["ms"] for r in runs)),
        "flow_ms_median": r3(statistics.median(r["flow_ms"] for r in runs)),
        "train_ms_median": r3(statistics.median(r["train_ms"] for r in runs)),
        # process CPU time (all threads, incl. OpenBLAS spinners): with 1 thread
        # it is ~= median_ms when the machine is quiet and robust to contention
        "cpu_ms_median": r3(statistics.median(r["cpu_ms"] for r in runs)),
        # the CNN workloads' flow and train steps alone (process CPU time)
        **({"flow_cpu_ms_median": r3(statistics.median(r["flow_cpu_ms"] for r in runs)),
            "train_cpu_ms_median": r3(statistics.median(r["train_cpu_ms"] for r in runs))}
           if "flow_cpu_ms" in runs[0] else {}),
        "final_loss": runs[-1]["loss"],
        # peak resident memory of this process (ru_maxrss is in KiB on Linux)
        "max_rss_mib": r3(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0),
        "python": platform.python_version(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
