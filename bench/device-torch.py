#!/usr/bin/env python3
"""torch and torchmetrics on the same card and data as bench/device.mjs (issue #5, target c).

Reads the cells bench/device.mjs wrote with --npy-dir (DIR/<N>x<C>/logits.npy, labels.npy, counts.npy,
counts_f16.npy), and times on CUDA (the CPU without one):
  host      from numpy arrays: H2D copy (pageable, as a user does), labels .long(), the matrix, synchronize
  resident  on tensors already on the GPU: CUDA events around the call (GPU time), and wall clock
            including the C x C result's copy to the host (what confmat's resident figure includes)
  floors    H2D copy of the logits (pageable and pinned), a device-to-device copy of them
for torchmetrics' multiclass_confusion_matrix(validate_args=False) and the equivalent torch ops
torch.bincount(labels * C + logits.argmax(1), minlength=C*C); float16 on the GPU too (logits.half()).
Every matrix is checked against confmat's counts (counts.npy). Medians after a warm-up. Without torch,
numpy argmax + bincount checks the counts and the figures say so.

Usage: python3 bench/device-torch.py --npy-dir DIR [--confmat device.json] [--out torch.json] [--runs 5]
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def e0(n):
    return f"{n:.0e}".replace("e+0", "e").replace("e+", "e")


def median(xs):
    s = sorted(xs)
    return s[(len(s) - 1) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--npy-dir", required=True)
    ap.add_argument("--confmat", help="bench/device.mjs's JSON (--out), for the side-by-side figures")
    ap.add_argument("--out")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--device", help="cuda (default when available) or cpu")
    args = ap.parse_args()
    t_start = time.perf_counter()

    notes = []
    try:
        import torch
    except Exception as e:  # noqa: BLE001
        torch = None
        notes.append(f"torch not importable ({e}): numpy argmax + bincount only checks the counts")
    mcm = None
    tm_version = None
    if torch is not None:
        try:
            import torchmetrics
            from torchmetrics.functional.classification import multiclass_confusion_matrix as mcm

            tm_version = torchmetrics.__version__
        except Exception as e:  # noqa: BLE001
            notes.append(f"torchmetrics not importable ({e}): timing the equivalent torch ops (torch.bincount(labels * C + logits.argmax(1), minlength=C*C)) only")
    dev = args.device or ("cuda" if torch is not None and torch.cuda.is_available() else "cpu")
    cuda = torch is not None and dev.startswith("cuda")
    info = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": getattr(torch, "__version__", None),
        "torchmetrics": tm_version,
        "device": dev,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "cuda": getattr(getattr(torch, "version", None), "cuda", None),
    }
    print(f"device-torch: python {info['python']}, numpy {info['numpy']}, torch {info['torch']}, torchmetrics {info['torchmetrics']}, on {dev} {info['gpu'] or ''}", flush=True)
    if torch is not None and not cuda:
        notes.append("no CUDA: every torch figure is CPU time")

    confmat = {}
    if args.confmat and os.path.exists(args.confmat):
        with open(args.confmat) as f:
            doc = json.load(f)
        for cell in doc.get("cells", []):
            confmat[(cell["n"], cell["c"])] = {p["name"]: p for p in cell.get("paths", [])}
        info["confmatAdapter"] = doc.get("adapter")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def wall(fn, runs):
        fn()
        sync()
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            sync()
            out.append((time.perf_counter() - t) * 1e3)
        return out

    def gpu_ms(fn, runs):
        if not cuda:
            return wall(fn, runs)
        fn()
        torch.cuda.synchronize()
        out = []
        for _ in range(runs):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            out.append(s.elapsed_time(e))
        return out

    cells = []
    dirs = sorted(d for d in os.listdir(args.npy_dir) if os.path.exists(os.path.join(args.npy_dir, d, "logits.npy")))
    for name in dirs:
        d = os.path.join(args.npy_dir, name)
        t = time.perf_counter()
        logits = np.load(os.path.join(d, "logits.npy"))
        labels = np.load(os.path.join(d, "labels.npy"))
        counts = np.load(os.path.join(d, "counts.npy"))
        f16_path = os.path.join(d, "counts_f16.npy")
        counts16 = np.load(f16_path) if os.path.exists(f16_path) else None
        n, c = logits.shape
        nbytes = logits.nbytes
        big = nbytes > 1e9
        runs = min(args.runs, 3) if big else args.runs
        rec = {"n": n, "c": c, "bytes": nbytes, "loadS": time.perf_counter() - t, "paths": {}, "checks": {}}
        print(f"\n{name}: {n} x {c}, {nbytes / 1e9:.2f} GB, loaded in {rec['loadS']:.1f} s; {runs} runs", flush=True)

        def put(key, times, gpu=False):
            ms = median(times)
            rec["paths"][key] = {"ms": ms, "runs": times, "gpuTime": gpu, "gbPerS": nbytes / ms / 1e6}
            print(f"  {key:<44} {ms:10.3f} ms  {nbytes / ms / 1e6:8.1f} GB/s", flush=True)

        def check(key, m, ref):
            ok = ref is not None and np.array_equal(np.asarray(m, dtype=np.float64).reshape(c, c), ref)
            rec["checks"][key] = bool(ok)
            if not ok:
                print(f"  WARNING {key}: matrix differs from confmat's counts", flush=True)

        if torch is None:
            t = time.perf_counter()
            m = np.bincount(labels.astype(np.int64) * c + logits.argmax(1), minlength=c * c)
            rec["paths"]["numpy argmax+bincount (check only)"] = {"ms": (time.perf_counter() - t) * 1e3}
            check("numpy", m, counts)
            print(f"  numpy argmax+bincount equals counts.npy: {rec['checks']['numpy']}", flush=True)
            cells.append(rec)
            continue

        # u16 labels (C > 256) as int32 on the host first (untimed): torch's uint16 support is thin.
        y_np = labels if labels.dtype == np.uint8 else labels.astype(np.int32)
        fns = {"bincount": lambda x, y: torch.bincount(y * c + x.argmax(1), minlength=c * c).reshape(c, c)}
        if mcm is not None:
            fns["torchmetrics"] = lambda x, y: mcm(x, y, num_classes=c, validate_args=False)

        def host(fn):
            def run():
                x = torch.from_numpy(logits).to(dev)
                y = torch.from_numpy(y_np).to(dev).long()
                return fn(x, y)

            return run

        for key, fn in fns.items():
            check(f"{key} host", host(fn)().cpu().numpy(), counts)
            put(f"{key} host (H2D + matrix)", wall(host(fn), runs))
        x = torch.from_numpy(logits).to(dev)
        y = torch.from_numpy(y_np).to(dev).long()
        sync()
        res_runs = max(runs, 10)
        for key, fn in fns.items():
            check(f"{key} resident", fn(x, y).cpu().numpy(), counts)
            put(f"{key} resident (GPU time)", gpu_ms(lambda: fn(x, y), res_runs), gpu=cuda)
            put(f"{key} resident (wall, result to host)", wall(lambda: fn(x, y).cpu(), res_runs))
        if cuda:
            x16 = x.half()
            for key, fn in fns.items():
                if counts16 is not None:
                    check(f"{key} resident f16", fn(x16, y).cpu().numpy(), counts16)
                put(f"{key} resident f16 (GPU time)", gpu_ms(lambda: fn(x16, y), res_runs), gpu=True)
            del x16
            put("floor: H2D pageable", wall(lambda: torch.from_numpy(logits).to(dev), runs))
            pinned = torch.from_numpy(logits).pin_memory()
            put("floor: H2D pinned", wall(lambda: pinned.to(dev, non_blocking=True), runs))
            del pinned
            dst = torch.empty_like(x)
            put("floor: D2D copy (GPU time)", gpu_ms(lambda: dst.copy_(x), res_runs), gpu=True)
            del dst
        del x, y
        if cuda:
            torch.cuda.empty_cache()

        cm = confmat.get((n, c), {})
        if cm:
            def ms_of(p):
                return cm.get(p, {}).get("ms")

            def best(group):
                ps = [p for p in cm.values() if p.get("group") == group and p.get("dtype") == "f32" and p.get("ms")]
                return min(ps, key=lambda p: p["ms"]) if ps else None

            side = {}
            tmk = "torchmetrics" if "torchmetrics" in fns else "bincount"
            pairs = [
                ("host", ms_of("host f32"), best("host"), rec["paths"].get(f"{tmk} host (H2D + matrix)")),
                ("resident", ms_of("resident f32 auto"), best("resident"), rec["paths"].get(f"{tmk} resident (wall, result to host)")),
            ]
            for kind, mine, b, theirs in pairs:
                if mine and theirs:
                    side[kind] = {
                        "peer": f"{tmk} {kind}",
                        "peerMs": theirs["ms"],
                        "confmatMs": mine,
                        "speedup": theirs["ms"] / mine,
                        "bestConfmatPath": b["name"] if b else None,
                        "bestSpeedup": theirs["ms"] / b["ms"] if b else None,
                        "metDefault": theirs["ms"] / mine >= 1,
                        "met": theirs["ms"] / (b["ms"] if b else mine) >= 1,
                    }
            rec["vsConfmat"] = side
        cells.append(rec)

    # ---------- summary: everything the issue asks for, last (the device tool returns the tail) ----------
    if confmat:
        with open(args.confmat) as f:
            doc = json.load(f)
        tgt = doc.get("targets", [])
        if tgt:
            print("\nissue #5 targets a and b (bench/device.mjs, default plan / best variant):")
            for x in tgt:
                v = "-" if x.get("value") is None else f"{100 * x['value']:.0f}%"
                b = "-" if x.get("best") is None else f"{100 * x['best']:.0f}%"
                print(f"  {x['target']:<72} {e0(x['n']) + 'x' + str(x['c']):<8} {v:>6} {b:>6} ({x.get('bestPath')}) met: {x.get('met')}")
    print("\nissue #5 target c: confmat at least as fast as torchmetrics on the same card and data (peer ms / confmat ms, > 1 = confmat faster):")
    for rec in cells:
        for kind, s in (rec.get("vsConfmat") or {}).items():
            print(f"  {e0(rec['n']) + 'x' + str(rec['c']):<8} {kind:<9} {s['peer']:<22} {s['peerMs']:10.3f} ms  confmat {s['confmatMs']:10.3f} ms  x{s['speedup']:.2f} (met: {s['metDefault']})  best {s['bestConfmatPath']} x{(s['bestSpeedup'] or 0):.2f} (met: {s['met']})")
        bad = [k for k, ok in rec["checks"].items() if not ok]
        print(f"  {e0(rec['n']) + 'x' + str(rec['c']):<8} matrices equal to confmat's: {'all' if not bad else 'NOT ' + ', '.join(bad)}")
    for note in notes:
        print(f"note: {note}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"tool": "bench/device-torch.py", "info": info, "notes": notes, "cells": cells, "seconds": time.perf_counter() - t_start}, f, indent=2)
            f.write("\n")
        print(f"wrote {args.out}; total {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
