"""pprl: privacy-preserving record linkage across scripts.

Agencies encode their own exports locally with a shared secret; a coordinator links the encodings
without the secret and without raw identities. The functions here are the Python API, and the
``pprl`` command calls the same functions::

    import pprl

    pprl.keygen("linkage.key")                              # once, by one party
    secret = pprl.read_secret("linkage.key")                # at each agency
    pprl.encode_file("a.csv", "a.pprl", "schemas/missing-persons.json", secret, {"name": ["full_name"]})
    a, b = pprl.read_encoded("a.pprl", "b.pprl")            # at the coordinator: no secret
    matches = pprl.matches_frame(pprl.link([a, b]))         # id_a, id_b, score
    print(pprl.evaluate(matches, "truth.csv"))              # when true pairs are known

The package is laid out by who runs what: :mod:`pprl.agency` (raw data and the secret),
:mod:`pprl.coordinator` (encoded files only), the contract both share in ``pprl`` itself
(:mod:`pprl.schema`, :mod:`pprl.encoded`, ...), and :mod:`pprl.tools` (synthetic data, evaluation).
Importing ``pprl`` loads neither side: each function imports what it needs when it is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from pprl._version import __version__

if TYPE_CHECKING:
    import pandas as pd

    from pprl.agency.encode import EncodeSummary
    from pprl.coordinator.link import Linkage
    from pprl.encoded import EncodedData
    from pprl.schema import Problem, Schema
    from pprl.tools.evaluation import Metrics

__all__ = ["__version__", "keygen", "read_secret", "validate_schema", "load_schema", "encode_file", "read_encoded",
           "link", "matches_frame", "cluster_frame", "evaluate"]


# --- at an agency ---------------------------------------------------------------------------------

def keygen(path: str | Path, *, force: bool = False) -> str:
    """Write a fresh random 256-bit linkage secret to ``path`` (mode 0600) and return its key check value.

    An existing file is replaced only with ``force``. Send the file to the agencies that encode, through
    a secure channel; the coordinator never needs it. The check value (hex) reveals nothing about the
    secret: it tells whether two parties hold the same one.
    """
    from pprl.agency import keys

    secret = keys.generate_secret()
    keys.write_secret(path, secret, force=force)
    return keys.check_value(secret)


def read_secret(path: str | Path) -> bytes:
    """The shared secret from a file written by :func:`keygen`.

    Raises :class:`pprl.errors.KeyFileError` for a missing or damaged file and for one that others can
    read (``chmod 600`` it), as ssh does; the file's content is never shown.
    """
    from pprl.agency import keys

    return keys.read_secret(path)


def validate_schema(path: str | Path) -> list[Problem]:
    """Every problem of a linkage schema file: errors and (``severity == "warning"``) privacy or
    saturation warnings, each with a JSON pointer; ``problem.render(path)`` gives the line that
    ``pprl schema validate`` prints. Empty when the file is valid."""
    from pprl.agency import validate

    return validate.validate_file(path)


def load_schema(path: str | Path) -> Schema:
    """A linkage schema file, validated, with its defaults filled in and its fingerprint.

    Raises :class:`pprl.errors.SchemaError` listing every error (warnings do not stop it).
    """
    from pprl.agency import validate

    return validate.load(path)


def encode_file(input_path: str | Path, output_path: str | Path, schema: Schema | str | Path, secret: bytes,
                maps: Mapping[str, str | Sequence[str]] | None = None, id_column: str | None = None,
                dataset: str | None = None, *, strict: bool = False, workers: int | None = None,
                age_reference_year: int | None = None,
                progress: Callable[[int], None] | None = None) -> EncodeSummary:
    """Encode an export (CSV, .xlsx or Parquet) into an encoded file, on all cores.

    ``schema``: a :class:`pprl.schema.Schema` from :func:`load_schema`, or the path of a schema file.
    ``maps``: where each field's value is (fields not named are read from the column of their name):
    a column, a list of columns (joined with spaces), or ``[]`` when the export has no such column.
    ``id_column``: the agency's pseudonymous record IDs (default: the first column); ``dataset``: the
    name reports give this file (default: the input file's name). ``strict`` stops at the first value
    that cannot be read (an :class:`pprl.errors.InputError` naming its row and column) instead of
    counting it as missing; ``age_reference_year`` reads ages in date fields ("7 years") as birth
    years estimated from it; ``progress`` is called with the number of records of each chunk done.

    The output is written atomically: after any error no file appears. Raw values never appear in an
    error or in the returned summary (records, per-field missing and unreadable counts, seconds).
    """
    from pprl.agency import encode

    if isinstance(schema, (str, Path)):
        schema = load_schema(schema)
    mapping = {name: [columns] if isinstance(columns, str) else list(columns) for name, columns in (maps or {}).items()}
    return encode.encode_file(input_path, output_path, schema, secret, mapping, id_column, dataset, strict=strict,
                              workers=workers, age_reference_year=age_reference_year, progress=progress)


# --- at the coordinator ---------------------------------------------------------------------------

def read_encoded(*paths: str | Path) -> list[EncodedData]:
    """Read encoded files for linking, in the order given (the first is ``id_a`` in the matches).

    Each file is verified against its digest (truncated, damaged or edited files are refused), and the
    files must be linkable with each other: the same schema and secret, and pprl versions that make the
    same tokens; a :class:`pprl.errors.PprlError` says what differs. Each dataset gets a distinct,
    file-safe name (its encoded name, else its file name) for reports and clusters.
    """
    from pprl import encoded
    from pprl.coordinator import reports

    if not paths:
        raise TypeError("read_encoded needs at least one file")
    files = [Path(path) for path in paths]
    datasets = [encoded.read(path) for path in files]
    encoded.check_compatible(files, datasets)
    reports.name_datasets(datasets, files)
    return datasets


def link(datasets: Sequence[EncodedData], threshold: float | None = None, *, top_k: int | None = None,
         engine: str = "local", scheduler: str | None = None,
         progress: Callable[[str], None] | None = None) -> Linkage:
    """Link every pair of the datasets (from :func:`read_encoded`): candidates, weights fitted by EM,
    scores that are match probabilities, and a threshold per pair of datasets.

    ``threshold``: the match probability to accept; by default the schema's ``linkage.threshold``, and
    when that is ``"auto"``, the cut that maximises the expected F1 (its rationale is in
    ``linkage.pairs[i].threshold``). ``top_k``: keep at least this many candidates per record, for
    ``matches_frame(..., top_k=K)``. ``engine="dask"`` scores on a dask.distributed cluster (at
    ``scheduler``, or a local one of two workers), with the same results. ``progress`` receives a line
    per pair of datasets.
    """
    from pprl.coordinator import link as linking

    options = linking.LinkOptions.from_schema(datasets[0].header["schema"], threshold, engine=engine,
                                              scheduler=scheduler,
                                              keep_candidates=max(linking.KEEP_CANDIDATES, top_k or 0))
    return linking.link(datasets, options, progress=progress)


def matches_frame(linkage: Linkage, a: int = 0, b: int = 1, mode: str = "one-to-one", top_k: int | None = None,
                  explain: bool = False) -> pd.DataFrame:
    """The matches of datasets ``a`` and ``b`` (indices into the linked datasets) as MATCHES.csv holds
    them: ``id_a``, ``id_b``, ``score`` (6 decimals; the threshold applies to this written score).

    ``mode``: ``"one-to-one"`` (each record at most once), ``"many"`` (every pair above the threshold)
    or ``"candidates"`` (every scored candidate pair, for a threshold sweep). ``top_k``: the K best
    candidates of each record of ``a`` with their ``rank``, whatever the threshold. ``explain`` adds
    each filter column's evidence (nats) per pair; never a value.
    """
    from pprl.coordinator import link as linking

    return linking.matches_frame(linkage, a, b, mode, top_k, explain)


def cluster_frame(linkage: Linkage, mode: str = "one-to-one") -> pd.DataFrame:
    """With three or more datasets: clusters holding at most one record per dataset, one row per record
    (``cluster_id``, ``dataset``, ``id``, ``score``). ``mode`` as in :func:`matches_frame`."""
    from pprl.coordinator import link as linking

    return linking.cluster_frame(linkage, mode)


# --- with known true pairs ------------------------------------------------------------------------

def evaluate(matches: pd.DataFrame | str | Path, truth: pd.DataFrame | str | Path,
             threshold: float | None = None) -> Metrics:
    """Precision, recall and F1 of a linkage against known true pairs (pairs counted once).

    ``matches``: a frame with ``id_a``, ``id_b``, ``score`` (from :func:`matches_frame`) or a
    MATCHES.csv; ``truth``: a frame with ``id_a``, ``id_b`` or a TRUTH.csv (first column: IDs of the
    first dataset). Files are read as exports are (the usual encodings and delimiters). With
    ``threshold``, only pairs scoring at least that count.
    """
    from pprl.tools import evaluation

    if isinstance(matches, (str, Path)):
        matches = evaluation.read_matches(matches)
    if isinstance(truth, (str, Path)):
        truth = evaluation.read_truth(truth)
    return evaluation.evaluate(matches, truth, threshold)
