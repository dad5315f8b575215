"""Where pair scoring runs: in this process (``local``) or on a dask.distributed cluster (``dask``).

Both engines run the same kernels of :mod:`pprl.coordinator.similarity` (``score_all`` / ``score_candidates``).
The dask engine partitions the rows of A into blocks; each task scores its block against all of B
(or against the block's slice of the candidate CSR) and the partial results are concatenated in
block order. Every A row is scored independently and results are sorted by (ia, -score, ib), so
the output is identical to the local engine's.

Without a scheduler address the dask engine starts a ``LocalCluster`` (2 worker processes) on first
use and closes it when the process exits (or on :func:`close_all`). B's filters are sent to the
workers once per dataset and reused for the second scoring pass of a linkage.
"""

from __future__ import annotations

import atexit
from typing import Protocol

import numpy as np

from pprl.coordinator import similarity
from pprl.errors import PprlError

ENGINES = ("local", "dask")
#: Rows of A per dask task.
BLOCK_ROWS = 50_000


class Engine(Protocol):
    def score(self, bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k,
              cand_ptr=None, cand_idx=None, delta=np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


class LocalEngine:
    """Scores in this process (the numba kernels use all cores)."""

    def score(self, bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k, cand_ptr=None, cand_idx=None,
              delta=np.inf):
        return _score_block(0, bits_a.shape[0], bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k,
                            cand_ptr, cand_idx, delta)


def _score_block(start, stop, bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k, cand_ptr, cand_idx,
                 delta):
    """A rows ``start:stop`` against B (one dask task); A row indices returned relative to A."""
    if cand_ptr is None:
        ia, ib, s = similarity.score_all(bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k, delta)
    else:
        ia, ib, s = similarity.score_candidates(bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k,
                                                cand_ptr, cand_idx, delta)
    return ia + start, ib, s


class DaskEngine:
    """Scores blocks of A rows as tasks on a dask.distributed cluster."""

    def __init__(self, scheduler: str | None = None, workers: int = 2, block_rows: int | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a dependency
            raise PprlError("--engine dask needs the 'dask[distributed]' package") from None
        self.block_rows = int(block_rows or BLOCK_ROWS)
        self._cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="30s")
            else:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=":0")
                self.client = Client(self._cluster)
        except OSError as error:
            raise PprlError(f"cannot reach the dask scheduler {scheduler}: {error}") from None
        self._scattered: dict[int, tuple[np.ndarray, object]] = {}

    def _remote(self, array: np.ndarray):
        """A future for ``array`` on the workers, sent once while the same array is in use."""
        found = self._scattered.get(id(array))
        if found is not None and found[0] is array:
            return found[1]
        future = self.client.scatter(array, broadcast=True)
        self._scattered[id(array)] = (array, future)
        return future

    def score(self, bits_a, pc_a, bits_b, pc_b, offsets, table, prior, floor, top_k, cand_ptr=None, cand_idx=None,
              delta=np.inf):
        n_a = bits_a.shape[0]
        remote_b, remote_pc_b = self._remote(bits_b), self._remote(pc_b)
        futures = []
        for start in range(0, n_a, self.block_rows):
            stop = min(n_a, start + self.block_rows)
            if cand_ptr is None:
                ptr = idx = None
            else:
                lo, hi = int(cand_ptr[start]), int(cand_ptr[stop])
                ptr = np.asarray(cand_ptr[start:stop + 1], np.int64) - lo
                idx = np.asarray(cand_idx[lo:hi], np.int64)
            futures.append(self.client.submit(
                _score_block, start, stop, np.ascontiguousarray(bits_a[start:stop]),
                np.ascontiguousarray(pc_a[start:stop]), remote_b, remote_pc_b, offsets, table, float(prior),
                float(floor), int(top_k), ptr, idx, float(delta), pure=False))
        parts = self.client.gather(futures)
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))

    def close(self) -> None:
        self._scattered.clear()
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


_engines: dict[tuple[str, str | None], Engine] = {}


def get(name: str = "local", scheduler: str | None = None) -> Engine:
    """The engine for ``--engine NAME [--scheduler ADDRESS]``; a dask engine is made once and reused."""
    if name not in ENGINES:
        raise PprlError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
    if name == "local":
        if scheduler:
            raise PprlError("--scheduler needs --engine dask")
        return LocalEngine()
    key = (name, scheduler)
    if key not in _engines:
        _engines[key] = DaskEngine(scheduler)
        # distributed closes its local clusters at exit too, and atexit runs the last registered first:
        # registering (again) after distributed was imported releases the scattered data before the
        # workers go, instead of the scheduler logging that removing them lost it.
        atexit.unregister(close_all)
        atexit.register(close_all)
    return _engines[key]


def close_all() -> None:
    """Close every dask client and local cluster this process started."""
    while _engines:
        _, engine = _engines.popitem()
        engine.close()

