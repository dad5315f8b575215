"""What the coordinator sends back and reads: per-agency split files and the run summary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from pprl.atomic import OutputGroup, write_csv
from pprl.coordinator.link import Linkage
from pprl.encoded import EncodedData


def name_datasets(datasets: Sequence[EncodedData], paths: Sequence[Path]) -> None:
    """Give every dataset a distinct, file-safe name (the encoded name, else the file name) for reports
    and split files: the name comes from an agency's file and must not steer where files are written."""
    names = [re.sub(r"[^\w.-]+", "_", d.dataset or Path(p).stem).strip("._") or f"dataset{i + 1}"
             for i, (d, p) in enumerate(zip(datasets, paths))]
    if len(set(names)) < len(names):
        names = [f"{i + 1}-{name}" for i, name in enumerate(names)]
    for data, name in zip(datasets, names):
        data.header["dataset"] = name


def split_paths(datasets: Sequence[EncodedData], folder: Path, clustered: bool) -> list[Path]:
    """The files :func:`write_split` writes: one per dataset with clusters, else for the first two."""
    names = [d.dataset for d in datasets]
    return [folder / f"{name}.csv" for name in (names if clustered else names[:2])]


def write_split(linkage: Linkage, matches: pd.DataFrame, clusters: pd.DataFrame | None, folder: Path,
                group: OutputGroup) -> list[Path]:
    """One file per agency with only its own record IDs and a match (or cluster) ID, staged in ``group``."""
    group.folder(folder)
    paths = split_paths(linkage.datasets, folder, clusters is not None)
    if clusters is not None:
        tables = [clusters.loc[clusters["dataset"] == d.dataset, ["id", "cluster_id"]]
                  .rename(columns={"cluster_id": "match_id"}) for d in linkage.datasets]
    else:
        match_ids = [f"M{i + 1:07d}" for i in range(len(matches))]
        tables = [pd.DataFrame({"id": matches[column], "match_id": match_ids}) for column in ("id_a", "id_b")]
    return [write_csv(table, path, group) for table, path in zip(tables, paths)]


#: Below this expected precision at the automatic threshold, the summary asks for a review.
REVIEW_PRECISION = 0.9


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
        if len(result.ia) and result.threshold.expected_precision < REVIEW_PRECISION:  # NaN: a given threshold
            lines.append(f"  warning: the model expects only {result.threshold.expected_precision:.0%} of these matches "
                         "to be true: review them before acting on them (the records hold too little to tell "
                         "look-alikes apart, or few of them have a partner)")
    lines.append(f"{len(matches):,} rows written for {linkage.datasets[0].dataset} x {linkage.datasets[1].dataset}")
    if clusters is not None:
        lines.append(f"{clusters['cluster_id'].nunique():,} clusters with {len(clusters):,} records")
    lines.append(f"done in {seconds:.1f} s")
    return lines
