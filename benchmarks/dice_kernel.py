"""Dice kernel benchmark: pprl.coordinator.similarity.dice_all vs anonlink's dice_coefficient_accelerated.

Both see the same random 1024-bit filters (densities uniform in 30-50%, plus planted near-duplicates).
anonlink lives in a separate venv (``benchmarks/baselines.sh`` builds it).  When that venv's Python
has the same ABI (CPython major.minor) it is imported in-process and its repeats are interleaved with
ours (fair under background load); otherwise a subprocess reads the filters from a temporary .npz.
Its timing covers the whole public call (conversion of bitarrays to its C buffers included, as a
user would call it).  JIT compile time of our kernels is
excluded by a warm-up run and reported separately.  Also reported: a plain numpy
``np.bitwise_count`` implementation (to show the numba POPCNT kernel is the faster one) and
``score_all`` throughput with 5 fields.

    .venv/bin/python benchmarks/dice_kernel.py                      # 5k x 5k and 20k x 20k
    .venv/bin/python benchmarks/dice_kernel.py --sizes 5000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_BASELINE_PY = HERE / ".venv-baselines" / "bin" / "python"
THRESHOLDS = (0.8, 0.7, 0.5)


def make_filters(rng, n, nbits=1024, planted=None):
    dens = rng.uniform(0.30, 0.50, size=(n, 1))
    bits = rng.random((n, nbits)) < dens
    if planted is not None:  # near-duplicates of the other dataset: flip ~3% of bits
        k = min(n, planted.shape[0]) // 10
        flip = rng.random((k, nbits)) < 0.03
        bits[:k] = planted[:k] ^ flip
    return bits


def pack(bits):
    return np.ascontiguousarray(np.packbits(bits, axis=1, bitorder="little"))


def timed(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def to_bitarrays(matrix, bitarray) -> list:
    """Rows of a uint64 filter matrix as anonlink's little-endian bitarrays."""
    out = []
    for row in matrix:
        bits = bitarray(endian="little")
        bits.frombytes(row.tobytes())
        out.append(bits)
    return out


# ------------------------------------------------------------------------------------------
# anonlink worker (runs inside the baseline venv; imports nothing from pprl)
# ------------------------------------------------------------------------------------------
def anonlink_worker(npz, thresholds, repeats):
    from anonlink.similarities import dice_coefficient_accelerated
    from bitarray import bitarray

    data = np.load(npz)
    fa, fb = to_bitarrays(data["a"], bitarray), to_bitarrays(data["b"], bitarray)
    res = {}
    for t in thresholds:
        med, out = timed(lambda: dice_coefficient_accelerated([fa, fb], t), repeats)
        res[str(t)] = {"seconds": med, "pairs": len(out[0])}
    print(json.dumps(res))


def run_anonlink(python, a_packed, b_packed, thresholds, repeats):
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "filters.npz")
        np.savez(npz, a=a_packed, b=b_packed)
        cmd = [str(python), str(Path(__file__).resolve()), "--anonlink-worker", npz,
               "--thresholds", *map(str, thresholds), "--repeats", str(repeats)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            return None
        return {float(k): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def import_anonlink_inprocess(python):
    """Import anonlink from the baseline venv into this process when it is ABI-compatible (same
    Python major.minor); our own packages (numpy) keep precedence.  Returns (dice_fn, to_bitarrays) or None."""
    probe = subprocess.run(
        [str(python), "-c", "import sys, sysconfig, anonlink; "
         "print(sys.version_info[0], sys.version_info[1]); print(sysconfig.get_paths()['platlib'])"],
        capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return None
    ver, platlib = probe.stdout.strip().splitlines()[-2:]
    if tuple(map(int, ver.split())) != sys.version_info[:2]:
        return None
    sys.path.append(platlib)
    try:
        from anonlink.similarities import dice_coefficient_accelerated
        from bitarray import bitarray
    except ImportError:
        sys.path.remove(platlib)
        return None

    return dice_coefficient_accelerated, lambda matrix: to_bitarrays(matrix, bitarray)


# ------------------------------------------------------------------------------------------
# numpy np.bitwise_count reference implementation (blocked, vectorised)
# ------------------------------------------------------------------------------------------
def numpy_dice_all(a, b, threshold, block=32):
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int64)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int64)
    out_i, out_j = [], []
    for s in range(0, a.shape[0], block):
        inter = np.bitwise_count(a[s:s + block, None, :] & b[None, :, :]).sum(axis=-1, dtype=np.int64)
        d = 2.0 * inter / (pa[s:s + block, None] + pb[None, :])
        i, j = np.nonzero(d >= threshold)
        out_i.append(i + s)
        out_j.append(j)
    return np.concatenate(out_i), np.concatenate(out_j)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--thresholds", type=float, nargs="+", default=list(THRESHOLDS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-python", default=str(DEFAULT_BASELINE_PY))
    ap.add_argument("--numpy-size", type=int, default=2000, help="rows per side for np.bitwise_count")
    ap.add_argument("--anonlink-mode", choices=["auto", "subprocess"], default="auto",
                    help="auto: import anonlink in-process when ABI-compatible, else subprocess")
    ap.add_argument("--anonlink-worker", metavar="NPZ", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.anonlink_worker:
        anonlink_worker(args.anonlink_worker, args.thresholds, args.repeats)
        return

    import numba

    from pprl.coordinator import similarity as sim

    threads = numba.get_num_threads()
    have_anonlink = Path(args.baseline_python).exists()
    if not have_anonlink:
        print(f"# no baseline venv at {args.baseline_python}: run benchmarks/baselines.sh first; "
              "anonlink columns skipped")
    inproc = None
    if have_anonlink and args.anonlink_mode == "auto":
        inproc = import_anonlink_inprocess(args.baseline_python)
    print("# anonlink: " + ("not available" if not have_anonlink else
                            "imported in-process from the baseline venv (same CPython ABI), runs interleaved"
                            if inproc else "run in a subprocess of the baseline venv"))
    rng = np.random.default_rng(2024)

    t0 = time.perf_counter()
    tiny = np.zeros((3, 16), np.uint64)
    sim.dice_all(tiny, tiny, 0.5)
    sim.dice_all(tiny, tiny, 0.5, top_k=2)
    offs5 = np.array([0, 8, 12, 13, 17, 21], np.int64)
    tiny5 = np.zeros((3, 21), np.uint64)
    pc5 = sim.popcounts(tiny5, offs5)
    sim.score_all(tiny5, pc5, tiny5, pc5, offs5, np.zeros((5, 20)), 0.0, 0.0, 2)
    sim.score_all(tiny5, pc5, tiny5, pc5, offs5, np.zeros((5, 20)), 0.0, 0.0, 0)
    warm = time.perf_counter() - t0
    print(f"# numba threads: {threads}; CPUs: {os.cpu_count()}; warm-up (JIT compile or cache load): "
          f"{warm:.2f}s (first ever run compiles, later runs load numba's on-disk cache)")
    print(f"# repeats: {args.repeats} (medians); filters: 1024 bits, density U(30%,50%), "
          f"10% planted near-duplicates")
    print()
    hdr = (f"{'n_a x n_b':>13} {'thr':>4} {'pairs':>9} {'ours s':>8} {'ours 1T s':>9} "
           f"{'anonlink s':>10} {'ours cmp/s':>10} {'1T cmp/s':>9} {'anon cmp/s':>10} "
           f"{'ours/anon':>9} {'1T/anon':>7}")
    print(hdr)
    print("-" * len(hdr))
    for n in args.sizes:
        a_bits = make_filters(rng, n)
        b_bits = make_filters(rng, n, planted=a_bits)
        a_packed, b_packed = pack(a_bits), pack(b_bits)
        a64, b64 = a_packed.view(np.uint64), b_packed.view(np.uint64)
        comps = float(n) * n
        anon = None
        if inproc is not None:
            fa, fb = inproc[1](a_packed), inproc[1](b_packed)
        elif have_anonlink:
            anon = run_anonlink(args.baseline_python, a_packed, b_packed, args.thresholds, args.repeats)
        for t in args.thresholds:
            # interleaved repeats (anonlink, ours on all threads, ours on one thread), so that load
            # from other processes hits all three alike
            t_ours, t_one, t_anon = [], [], []
            for _ in range(args.repeats):
                if inproc is not None:
                    t0 = time.perf_counter()
                    res = inproc[0]([fa, fb], t)
                    t_anon.append(time.perf_counter() - t0)
                    anon = {t: {"pairs": len(res[0])}}
                numba.set_num_threads(threads)
                t0 = time.perf_counter()
                out = sim.dice_all(a64, b64, t)
                t_ours.append(time.perf_counter() - t0)
                numba.set_num_threads(1)
                t0 = time.perf_counter()
                sim.dice_all(a64, b64, t)
                t_one.append(time.perf_counter() - t0)
                numba.set_num_threads(threads)
            sec, sec1 = statistics.median(t_ours), statistics.median(t_one)
            if inproc is not None:
                anon[t]["seconds"] = statistics.median(t_anon)
            pairs = out[0].size
            row = (f"{n:>6}x{n:<6} {t:>4} {pairs:>9} {sec:>8.3f} {sec1:>9.3f} ")
            if anon is not None:
                asec = anon[t]["seconds"]
                if anon[t]["pairs"] != pairs:
                    row += f"(anonlink found {anon[t]['pairs']} pairs!) "
                row += (f"{asec:>10.3f} {comps / sec:>10.3g} {comps / sec1:>9.3g} {comps / asec:>10.3g} "
                        f"{asec / sec:>9.2f} {asec / sec1:>7.2f}")
            else:
                row += f"{'-':>10} {comps / sec:>10.3g} {comps / sec1:>9.3g} {'-':>10} {'-':>9} {'-':>7}"
            print(row, flush=True)
    print("# ours/anon = speed ratio (anonlink time / our time) on all threads; 1T = ours on one thread "
          "(anonlink is single-threaded)")

    # np.bitwise_count baseline
    print()
    m = args.numpy_size
    a64 = pack(make_filters(rng, m)).view(np.uint64)
    b64 = pack(make_filters(rng, m)).view(np.uint64)
    numba.set_num_threads(1)
    sec1, out = timed(lambda: sim.dice_all(a64, b64, 0.5), args.repeats)
    numba.set_num_threads(threads)
    secn, outn = timed(lambda: numpy_dice_all(a64, b64, 0.5), max(1, args.repeats // 2))
    assert out[0].size == outn[0].size
    print(f"POPCNT check {m}x{m} thr 0.5: numba ctpop kernel (1 thread) {m * m / sec1:.3g} cmp/s vs "
          f"numpy np.bitwise_count (vectorised, blocked) {m * m / secn:.3g} cmp/s -> {secn / sec1:.1f}x")

    # score_all with 5 fields
    print()
    n = args.sizes[0]
    widths = [8, 4, 1, 4, 4]  # name 512, birth_date 256, sex 64, mother 256, father 256 bits
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    bits_a = pack(np.concatenate([make_filters(rng, n, 64 * w) for w in widths], axis=1)).view(np.uint64)
    bits_b = pack(np.concatenate([make_filters(rng, n, 64 * w) for w in widths], axis=1)).view(np.uint64)
    bits_b[: n // 10] = bits_a[: n // 10]
    for f, w in enumerate(widths):  # ~15% missing per field
        bits_a[rng.random(n) < 0.15, offsets[f]:offsets[f + 1]] = 0
        bits_b[rng.random(n) < 0.15, offsets[f]:offsets[f + 1]] = 0
    pa, pb = sim.popcounts(bits_a, offsets), sim.popcounts(bits_b, offsets)
    table = np.sort(rng.normal(size=(5, 20)), axis=1) * 2
    print(f"score_all, 5 fields ({offsets[-1] * 64} bits), {n}x{n}:")
    for floor, top_k in ((-np.inf, 10), (-np.inf, 0), (5.0, 0)):
        if floor == -np.inf and top_k == 0 and n > 5000:
            continue
        for th in sorted({1, threads}):
            numba.set_num_threads(th)
            sec, out = timed(lambda: sim.score_all(bits_a, pa, bits_b, pb, offsets, table, -2.0, floor, top_k),
                             args.repeats)
            print(f"  floor={floor:<5} top_k={top_k:<3} threads={th}: {sec:.3f}s  "
                  f"{n * n / sec:.3g} pairs/s  kept {out[0].size}")
        numba.set_num_threads(threads)


if __name__ == "__main__":
    main()
