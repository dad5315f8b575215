"""What each failure class of ``pprl synth`` version 2 costs pprl: F1 at pprl's automatic threshold on
version 1's level with one class switched on at that level's value, then all of them (version 2).

    .venv/bin/python benchmarks/synth_classes.py                       # hard, 40 % with a partner
    .venv/bin/python benchmarks/synth_classes.py --level extreme --overlap 0.75 --seeds 5

One secret for all runs (the filters differ only by the data); seeds 0..S-1, mean and each seed's F1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import quality  # noqa: E402
from pprl.agency import keys  # noqa: E402
from pprl.tools import synth  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--level", default="hard", choices=list(synth.DIFFICULTIES))
    ap.add_argument("--overlap", type=float, default=synth.DEFAULT_OVERLAP)
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    level = synth.DIFFICULTIES[args.level]
    configs = {"version 1": level.classic()}
    configs |= {k: replace(level.classic(), **{k: getattr(level, k)}) for k in synth.CLASSIC_KNOBS}
    configs["version 2"] = level
    secret = keys.generate_secret()
    print(f"# {args.level}, {args.overlap:.2f} of the records with a partner, {args.people:,} people")
    with tempfile.TemporaryDirectory() as tmp:
        for name, difficulty in configs.items():
            f1 = []
            for seed in range(args.seeds):
                data = synth.generate(args.people, seed=seed, difficulty=difficulty, overlap=args.overlap)
                row = quality.run_pprl(data.exports["a"], data.exports["b"], data.truth[("a", "b")], Path(tmp),
                                       secret, args.workers, age_reference_year=synth.AGE_REFERENCE_YEAR)
                f1.append(row["pprl"]["f1"])
            print(f"{name:<18} {statistics.fmean(f1):.4f}  ({' '.join(f'{x:.3f}' for x in f1)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
