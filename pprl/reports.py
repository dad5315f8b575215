"""What the coordinator sends back and reads: per-agency split files and the run summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from pprl.atomic import write_csv
from pprl.encoded import EncodedData
from pprl.link import Linkage


def name_datasets(datasets: Sequence[EncodedData], paths: Sequence[Path]) -> None:
    """Give every dataset a distinct, file-safe name (the encoded name, else the file name) for reports
    and split files: the name comes from an agency's file and must not steer where files are written."""
    names = [re.sub(r"[^\w.-]+", "_", d.dataset or Path(p).stem).strip("._") or f"dataset{i + 1}"
             for i, (d, p) in enumerate(zip(datasets, paths))]
    if len(set(names)) < len(names):
        names = [f"{i + 1}-{name}" for i, name in enumerate(names)]
    for data, name in zip(datasets, names):
        data.header["dataset"] = name


def write_split(linkage: Linkage, matches: pd.DataFrame, clusters: pd.DataFrame | None, folder: Path) -> list[Path]:
    """One file per agency with only its own record IDs and a match (or cluster) ID."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [d.dataset for d in linkage.datasets]
    if clusters is not None:
        return [write_csv(clusters.loc[clusters["dataset"] == name, ["id", "cluster_id"]]
                       .rename(columns={"cluster_id": "match_id"}), folder / f"{name}.csv") for name in names]
    match_ids = [f"M{i + 1:07d}" for i in range(len(matches))]
    return [
        write_csv(pd.DataFrame({"id": matches["id_a"], "match_id": match_ids}), folder / f"{names[0]}.csv"),
        write_csv(pd.DataFrame({"id": matches["id_b"], "match_id": match_ids}), folder / f"{names[1]}.csv"),
    ]


def summary_lines(linkage: Linkage, matches: pd.DataFrame, clusters: pd.DataFrame | None, seconds: float) -> list[str]:
    lines = []
    for result in linkage.pairs:
        a, b = linkage.datasets[result.a], linkage.datasets[result.b]
        model = result.model
        how = (f"weights fitted by EM ({model.iterations} iterations)" if model.fitted else "prior weights from the schema")
        if model.related_table is not None:
            how += f", ~{model.related_share * model.size_b:.1f} relatives per record"
        lines += [
            f"{a.dataset} ({len(a.ids):,}) x {b.dataset} ({len(b.ids):,}): {result.compared:,} pairs compared "
            f"({result.method}), {len(result.ia):,} candidates; {how}; model expects ~{model.expected_matches:,.0f} matches",
            f"  threshold {result.threshold.value:.4f}: {result.threshold.rationale}",
        ]
    lines.append(f"{len(matches):,} rows written for {linkage.datasets[0].dataset} x {linkage.datasets[1].dataset}")
    if clusters is not None:
        lines.append(f"{clusters['cluster_id'].nunique():,} clusters with {len(clusters):,} records")
    lines.append(f"done in {seconds:.1f} s")
    return lines
