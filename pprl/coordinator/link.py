"""The coordinator's side: link the encoded files of two or more agencies, without secret or raw data.

For each pair of datasets: generate candidate pairs (exhaustively when that is cheap, otherwise by
keyed blocking), fit Fellegi-Sunter weights per filter column by EM, score candidates as match
probabilities, choose a threshold (or take the user's), and solve one-to-one (or many / top-k).
With three or more datasets, the pairwise matches are joined into clusters holding at most one
record per dataset.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from pprl.coordinator import scoring, similarity, solving
from pprl.encoded import EncodedData

#: Above this many pairs, candidates come from blocking instead of comparing every pair.
EXHAUSTIVE_PAIRS = 400_000_000
#: Candidates per record of the first dataset: fed to the EM fit, then kept for solving and review.
#: A record's posterior shares its probability among these only: where a common name has more
#: look-alikes than are kept, the pairs kept look likelier than they are (10 to 50 measured:
#: docs/design.md, Measurements).
KEEP_CANDIDATES = 20
#: Candidates need prior evidence above -STRANGER_EVIDENCE x (sum of the schema's weights).
STRANGER_EVIDENCE = 0.25
#: ... and prior evidence within RIVAL_EVIDENCE x (sum of the schema's weights) of their record's best
#: candidate (a candidate further behind cannot take the record's match probability; pruning on this
#: bar is what keeps the all-pairs scan fast).
RIVAL_EVIDENCE = 0.5
#: Pairs below this match probability are never kept.
MIN_SCORE = 1e-3
#: Decimals of the scores written to MATCHES.csv; the threshold is applied to the written score, so
#: that every pair a file shows with a score of at least T is kept by ``--threshold T``.
SCORE_DECIMALS = 6
#: Random pairs sampled to measure the non-match (u) distributions; with fewer non-candidate pairs
#: than MIN_RANDOM_PAIRS the data is too small to fit weights and the schema's prior weights are used.
RANDOM_PAIRS = 200_000
MIN_RANDOM_PAIRS = 1_000
#: Factor on the fitted weights of a name's parts (``name.given``, ``name.family``) when the whole
#: name is a column too: the whole already holds their tokens (see :mod:`pprl.coordinator.scoring`;
#: factors from 0 to 1 measured: docs/design.md, Measurements).
PART_WEIGHT = 0.5


@dataclass
class Prepared:
    """An encoded dataset with the per-column popcounts the kernels need."""

    data: EncodedData
    popcounts: np.ndarray

    @classmethod
    def of(cls, data: EncodedData) -> "Prepared":
        return cls(data, similarity.popcounts(data.bits, data.offsets))

    @property
    def size(self) -> int:
        return len(self.data.ids)


@dataclass
class PairLink:
    """The outcome of linking dataset ``a`` with dataset ``b``."""

    a: int
    b: int
    ia: np.ndarray  # candidate pairs above MIN_SCORE, scored
    ib: np.ndarray
    score: np.ndarray
    binned: np.ndarray  # (P, C) per-column Dice bins of the candidates (-1 = missing; scoring.bins)
    model: scoring.Model
    threshold: scoring.Threshold
    compared: int  # pairs whose similarity was computed
    method: str  # "exhaustive" or the blocking method
    seconds: float = 0.0


@dataclass(frozen=True)
class LinkOptions:
    threshold: float | None = None  # None: automatic
    fit_weights: bool = True
    exhaustive_pairs: int = EXHAUSTIVE_PAIRS
    keep_candidates: int = KEEP_CANDIDATES
    seed: int = 0
    engine: str = "local"  # where scoring runs: "local" or "dask" (see pprl.coordinator.engine)
    scheduler: str | None = None  # dask scheduler address; None starts a LocalCluster

    @classmethod
    def from_schema(cls, schema_document: dict, threshold: float | None = None, **options) -> "LinkOptions":
        """Options for a linkage: the schema's ``linkage`` defaults, overridden by what the user gave."""
        defaults = schema_document.get("linkage", {})
        if threshold is None and defaults.get("threshold", "auto") != "auto":
            threshold = float(defaults["threshold"])
        options.setdefault("fit_weights", bool(defaults.get("fit_weights", True)))
        return cls(threshold=threshold, **options)


@dataclass(frozen=True)
class ColumnRules:
    """What the schema says about each filter column."""

    weights: np.ndarray  # prior weight
    disagrees: np.ndarray  # a missing value counts as disagreement
    family: np.ndarray  # relatives share the value
    factor: np.ndarray  # on the fitted weights: PART_WEIGHT for a part of a name whose whole is a column

    @classmethod
    def of(cls, data: EncodedData) -> "ColumnRules":
        fields = {f["name"]: f for f in data.header["schema"]["fields"]}
        spec = [fields[c.field] for c in data.columns]
        # the whole of a person's name holds the family name, which relatives share, and so does its
        # "family" component; its "given" component holds only the person's own names
        family = [bool(f.get("shared_by_relatives", False))
                  or (f["type"] == "person_name" and c.name in (c.field, f"{c.field}.family"))
                  for f, c in zip(spec, data.columns)]
        wholes = {c.name for c in data.columns}
        part = [c.name != c.field and c.field in wholes for c in data.columns]
        return cls(np.array([float(f.get("weight", 1.0)) for f in spec]),
                   np.array([f.get("missing", "neutral") == "disagree" for f in spec], dtype=bool),
                   np.array(family, dtype=bool), np.where(part, PART_WEIGHT, 1.0))


def _missing_penalty(table: np.ndarray, disagrees: np.ndarray) -> np.ndarray:
    return np.where(disagrees, table[:, 0], 0.0)


def _candidates(a: Prepared, b: Prepared, table: np.ndarray, prior: float, floor: float, top_k: int,
                delta: float, options: LinkOptions) -> tuple[np.ndarray, np.ndarray, int, str]:
    from pprl.coordinator import engine

    runner = engine.get(options.engine, options.scheduler)
    offsets = a.data.offsets
    pairs = a.size * b.size
    if pairs <= options.exhaustive_pairs:
        ia, ib, _ = runner.score(a.data.bits, a.popcounts, b.data.bits, b.popcounts, offsets,
                                 table, prior, floor, top_k, delta=delta)
        return ia, ib, pairs, "exhaustive"
    from pprl.coordinator import blocking

    # candidates are generated and scored one block of A rows at a time: memory stays bounded
    parts, compared = [], 0
    for start, stop, ptr, idx in blocking.iter_candidates(a.data, b.data, seed=options.seed):
        ia, ib, _ = runner.score(a.data.bits[start:stop], a.popcounts[start:stop], b.data.bits, b.popcounts,
                                 offsets, table, prior, floor, top_k, ptr, idx, delta)
        parts.append((ia + start, ib))
        compared += int(ptr[-1])
        del ptr, idx
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), 0, blocking.METHOD
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), compared,
            blocking.METHOD)


def _binned_dice(a: Prepared, b: Prepared, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    return similarity.field_bins(a.data.bits, a.popcounts, b.data.bits, b.popcounts, a.data.offsets, ia, ib,
                                 scoring.NBINS)


def _random_pairs(a: Prepared, b: Prepared, candidates: tuple[np.ndarray, np.ndarray],
                  rng: np.random.Generator) -> np.ndarray:
    """Binned per-column Dice of random pairs that are not candidates: a sample of non-matches, for
    u. (On small inputs a plain random sample would be full of true matches.)"""
    taken = np.sort(candidates[0] * b.size + candidates[1])
    draw = rng.integers(0, a.size * b.size, min(2 * RANDOM_PAIRS, 4 * a.size * b.size))
    if len(taken):  # membership by binary search in the sorted candidates: far faster than np.isin
        draw = draw[taken[np.minimum(np.searchsorted(taken, draw), len(taken) - 1)] != draw]
    pairs = draw[:RANDOM_PAIRS]
    return _binned_dice(a, b, pairs // b.size, pairs % b.size)


def link_pair(a: Prepared, b: Prepared, index_a: int, index_b: int, options: LinkOptions) -> PairLink:
    """Candidates by the schema's prior weights (the best few per record of ``a``), then weights fitted
    on them by EM, then the candidates rescored as match probabilities."""
    started = time.perf_counter()
    rules = ColumnRules.of(a.data)
    expected = float(min(a.size, b.size))
    model = scoring.Model(scoring.prior_table(rules.weights), min(0.5, expected / max(a.size, 1)), b.size, False,
                          expected)
    # strangers: prior evidence below -1/4 of the total weight (disagreeing on every field scores -1/2)
    floor = model.prior - STRANGER_EVIDENCE * rules.weights.sum()
    ia, ib, compared, method = _candidates(a, b, model.table, model.prior, floor, options.keep_candidates,
                                           RIVAL_EVIDENCE * rules.weights.sum(), options)
    binned = _binned_dice(a, b, ia, ib)
    if options.fit_weights and a.size * b.size - len(ia) >= MIN_RANDOM_PAIRS:
        rng = np.random.default_rng(options.seed)
        random = _random_pairs(a, b, (ia, ib), rng)
        # all candidates: on a sample of A's records, the B records' other claimants are mostly missing
        # and EM takes namesakes for matches
        model = scoring.fit(binned, ia, random, a.size, b.size, rules.family, cols=ib, column_factor=rules.factor)
    evidence = scoring.match_evidence(binned, model, _missing_penalty(model.table, rules.disagrees))
    score = scoring.two_sided_posterior(evidence, ia, ib, model.share, a.size, b.size)
    # rescore with the share that the one-to-one posteriors add up to when it is lower (a count that can
    # only lower the share cannot feed on itself): the prior model's share is a guess; after EM on all
    # candidates it is EM's own fixed point
    share = float(np.clip(score.sum() / max(a.size, 1), 1e-6, model.share))
    model = replace(model, share=share, expected_matches=scoring.expected_match_count(share, a.size, b.size))
    score = scoring.two_sided_posterior(evidence, ia, ib, model.share, a.size, b.size)
    keep = score >= MIN_SCORE
    ia, ib, score, binned = ia[keep], ib[keep], score[keep], binned[keep]
    if options.threshold is None:
        threshold = scoring.choose_threshold(score, float(score.sum()))
        # the cut applies to the written scores (see selected): floored to their decimals, it keeps the
        # pairs it was chosen to keep and those written with the same score
        scale = 10.0 ** SCORE_DECIMALS
        threshold = replace(threshold, value=max(float(np.floor(threshold.value * scale) / scale), 1 / scale))
    else:
        threshold = scoring.Threshold(options.threshold, "given (--threshold, or linkage.threshold in the schema)",
                                      float("nan"), float("nan"))
    return PairLink(index_a, index_b, ia, ib, score, binned, model, threshold, compared, method,
                    time.perf_counter() - started)


@dataclass
class Linkage:
    datasets: list[EncodedData]
    pairs: list[PairLink] = field(default_factory=list)

    def pair(self, a: int, b: int) -> PairLink:
        return next(p for p in self.pairs if (p.a, p.b) == (a, b))


def link(datasets: Sequence[EncodedData], options: LinkOptions = LinkOptions(),
         progress: Callable[[str], None] | None = None) -> Linkage:
    """Score every pair of datasets (the files must have passed ``encoded.check_compatible``)."""
    prepared = [Prepared.of(d) for d in datasets]
    linkage = Linkage(list(datasets))
    for a, b in itertools.combinations(range(len(prepared)), 2):
        result = link_pair(prepared[a], prepared[b], a, b, options)
        linkage.pairs.append(result)
        if progress:
            progress(f"{datasets[a].dataset} x {datasets[b].dataset}: {result.compared:,} pairs compared "
                     f"({result.method}), {len(result.ia):,} candidates in {result.seconds:.1f} s")
    return linkage


def written_score(score: np.ndarray) -> np.ndarray:
    """Scores as MATCHES.csv shows them."""
    return np.round(score, SCORE_DECIMALS)


def selected(result: PairLink, ids_a: np.ndarray, ids_b: np.ndarray, mode: str) -> np.ndarray:
    """Indices of the candidate pairs kept: at the threshold ``one-to-one`` or ``many``; or all
    ``candidates``."""
    if mode == "candidates":
        return solving.many(result.ia, result.ib, result.score, ids_a, ids_b)
    above = np.flatnonzero(written_score(result.score) >= result.threshold.value)
    ia, ib, score = result.ia[above], result.ib[above], result.score[above]
    if mode == "many":
        return above[solving.many(ia, ib, score, ids_a, ids_b)]
    return above[solving.one_to_one(ia, ib, score, ids_a, ids_b)]


def matches_frame(linkage: Linkage, a: int = 0, b: int = 1, mode: str = "one-to-one", top_k: int | None = None,
                  explain: bool = False) -> pd.DataFrame:
    """MATCHES.csv content for datasets ``a`` and ``b``: ``id_a, id_b, score`` (+ rank, + evidence)."""
    result = linkage.pair(a, b)
    ids_a, ids_b = linkage.datasets[a].ids, linkage.datasets[b].ids
    rank = None
    if top_k:
        chosen, rank = solving.top_k(result.ia, result.ib, result.score, top_k, ids_a, ids_b)
    else:
        chosen = selected(result, ids_a, ids_b, mode)
    frame = pd.DataFrame({
        "id_a": ids_a[result.ia[chosen]],
        "id_b": ids_b[result.ib[chosen]],
        "score": written_score(result.score[chosen]),
    })
    if rank is not None:
        frame["rank"] = rank
    if explain:
        evidence = scoring.contributions(result.binned[chosen], result.model.table)
        for column, values in zip(linkage.datasets[a].columns, evidence.T):
            frame[f"evidence_{column.name}"] = np.round(values, 3)
    return frame


def cluster_frame(linkage: Linkage, mode: str = "one-to-one") -> pd.DataFrame:
    """Clusters over all datasets with at most one record per dataset: ``cluster_id, dataset, id, score``."""
    edges = {}
    for result in linkage.pairs:
        ids_a, ids_b = linkage.datasets[result.a].ids, linkage.datasets[result.b].ids
        chosen = selected(result, ids_a, ids_b, mode)
        edges[(result.a, result.b)] = (result.ia[chosen], result.ib[chosen], result.score[chosen])
    sizes = [len(d.ids) for d in linkage.datasets]
    table = solving.clusters(edges, sizes, [d.ids for d in linkage.datasets])
    names = np.array([d.dataset for d in linkage.datasets], dtype=object)
    ids = [d.ids for d in linkage.datasets]
    return pd.DataFrame({
        "cluster_id": table["cluster_id"].to_numpy(),
        "dataset": names[table["dataset"].to_numpy()],
        "id": [ids[d][r] for d, r in zip(table["dataset"].to_numpy(), table["row"].to_numpy())],
        "score": written_score(table["score"].to_numpy()),
    })
