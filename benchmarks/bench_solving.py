"""Greedy vs optimal one-to-one on synthetic scored candidates with known truth.

    .venv/bin/python benchmarks/bench_solving.py [N ...]

Each of N entities appears in a with probability 0.8 and in b with probability 0.8 (so ~64% are
true pairs). True pairs score ~ Beta(6, 1.5); every a record gets 3 random false candidates scoring
~ Beta(1.5, 6). Confusers scoring ~ Beta(5, 2) (relatives: shared family names, birth year):
"random" gives 10% of a records one to a random b record; "cross" gives 10% of true pairs (a, b)
two, a-b' and a'-b, where a' and b' have no true partner. Pairs below 0.5 are dropped, as `pprl link` would with its threshold.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from pprl.coordinator.solving import one_to_one


def scenario(n: int, kind: str = "random", seed: int = 0):
    rng = np.random.default_rng(seed)
    in_a = rng.random(n) < 0.8
    in_b = rng.random(n) < 0.8
    ent_a = np.flatnonzero(in_a)
    ent_b = np.flatnonzero(in_b)
    row_b = -np.ones(n, dtype=np.int64)
    row_b[ent_b] = np.arange(len(ent_b))
    ia, ib, sc = [], [], []
    both = np.flatnonzero(in_a & in_b)
    row_a = -np.ones(n, dtype=np.int64)
    row_a[ent_a] = np.arange(len(ent_a))
    ia.append(row_a[both]); ib.append(row_b[both]); sc.append(rng.beta(6, 1.5, len(both)))
    for _ in range(3):
        ia.append(np.arange(len(ent_a))); ib.append(rng.integers(0, len(ent_b), len(ent_a)))
        sc.append(rng.beta(1.5, 6, len(ent_a)))
    if kind == "random":
        conf = rng.random(len(ent_a)) < 0.1
        ia.append(np.flatnonzero(conf)); ib.append(rng.integers(0, len(ent_b), int(conf.sum())))
        sc.append(rng.beta(5, 2, int(conf.sum())))
    else:  # "cross": a true pair (a, b) plus a-b' and a'-b where a', b' have no true partner
        only_a = row_a[np.flatnonzero(in_a & ~in_b)]
        only_b = row_b[np.flatnonzero(in_b & ~in_a)]
        pick = both[rng.random(len(both)) < 0.1]
        m = len(pick)
        ia.append(row_a[pick]); ib.append(rng.choice(only_b, m)); sc.append(rng.beta(5, 2, m))
        ia.append(rng.choice(only_a, m)); ib.append(row_b[pick]); sc.append(rng.beta(5, 2, m))
    ia, ib, sc = np.concatenate(ia), np.concatenate(ib), np.concatenate(sc)
    keep = sc >= 0.5
    ia, ib, sc = ia[keep], ib[keep], sc[keep]
    truth = set(zip(row_a[both].tolist(), row_b[both].tolist()))
    ids_a = np.array([f"A{e:08d}" for e in ent_a], dtype=object)
    ids_b = np.array([f"B{e:08d}" for e in ent_b], dtype=object)
    return ia, ib, sc, ids_a, ids_b, truth


def main(sizes):
    print(f"{'confusers':>9} {'n':>8} {'pairs':>8} {'method':>8} {'seconds':>8} {'kept':>7} {'sum':>10} "
          f"{'prec':>6} {'recall':>6} {'f1':>6}")
    for kind, n in [(k, n) for k in ("random", "cross") for n in sizes]:
        ia, ib, sc, ids_a, ids_b, truth = scenario(n, kind)
        for method in ("greedy", "optimal"):
            t0 = time.perf_counter()
            keep = one_to_one(ia, ib, sc, ids_a, ids_b, method=method)
            dt = time.perf_counter() - t0
            tp = sum((a, b) in truth for a, b in zip(ia[keep].tolist(), ib[keep].tolist()))
            p, r = tp / max(len(keep), 1), tp / len(truth)
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"{kind:>9} {n:>8} {len(ia):>8} {method:>8} {dt:>8.2f} {len(keep):>7} {sc[keep].sum():>10.1f} "
                  f"{p:>6.4f} {r:>6.4f} {f1:>6.4f}")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
