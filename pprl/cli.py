"""The ``pprl`` command line: option parsing and reporting only; the work is done by the Python API
(:mod:`pprl`), which each command calls."""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

import click

import pprl
from pprl.errors import PprlError

SECRET_ENV = "PPRL_SECRET_FILE"
SWEEP_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


class _Terminated(BaseException):
    """SIGTERM, raised so that a run unwinds as on Ctrl-C: staged outputs are removed and worker processes
    stopped (the default action would kill this process alone, leaving both behind)."""


def _raise_terminated(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
    raise _Terminated()


class _Probability(click.FloatRange):
    """A number in [0, 1]; click's range lets NaN through, which would silently keep no pair."""

    name = "probability"

    def __init__(self) -> None:
        super().__init__(0, 1)

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail("NaN is not a probability", param, ctx)
        return number


class _Group(click.Group):
    """Turns library errors into one clear line and exit code 1; never shows a traceback, which could
    carry input values, unless PPRL_DEBUG is set. SIGTERM ends a command like Ctrl-C, with exit code 143."""

    def invoke(self, ctx: click.Context):
        main_thread = threading.current_thread() is threading.main_thread()  # where signals can be handled
        previous = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
        try:
            return super().invoke(ctx)
        except _Terminated:
            click.echo("error: terminated (SIGTERM)", err=True)
            ctx.exit(128 + signal.SIGTERM)
        except PprlError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence for privacy
            if os.environ.get("PPRL_DEBUG"):
                raise
            click.echo(f"internal error: {type(error).__name__} (details withheld because they may contain input "
                       "values; set PPRL_DEBUG=1 to see the traceback on this machine)", err=True)
            ctx.exit(1)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@click.group(cls=_Group)
@click.version_option(pprl.__version__, prog_name="pprl")
def main() -> None:
    """Privacy-preserving record linkage across scripts.

    Agencies encode their exports locally with a shared secret (keygen, encode); a coordinator links
    the encoded files without the secret (link) and checks a linkage against known pairs (evaluate).
    """


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def _repeated(paths: Sequence[Path]) -> Path | None:
    """The first path that names the same file as an earlier one, if any."""
    for index, path in enumerate(paths):
        if any(_same_file(path, earlier) for earlier in paths[:index]):
            return path
    return None


def _refuse_overwriting(inputs: Sequence[Path | None], outputs: Sequence[Path | None]) -> None:
    """A usage error when an output would replace one of the inputs (an agency's export, say) or another output."""
    inputs = [path for path in inputs if path is not None]
    outputs = [path for path in outputs if path is not None]
    for output in outputs:
        if any(_same_file(output, path) for path in inputs):
            raise click.UsageError(f"{output} is an input of this command: write the output to another file")
    twice = _repeated(outputs)
    if twice is not None:
        raise click.UsageError(f"{twice}: two outputs of this command would be written to this one file")


# --- keygen ------------------------------------------------------------------------------------

@main.command()
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write the secret to (mode 0600).")
@click.option("--force", is_flag=True, help="Replace an existing secret file.")
def keygen(output: Path, force: bool) -> None:
    """Write a fresh random 256-bit linkage secret to a file; print its check value.

    Share the file only with the agencies that encode, through a secure channel; the coordinator
    who links never needs it.
    """
    click.echo(f"key check value: {pprl.keygen(output, force=force)}")


# --- schema ------------------------------------------------------------------------------------

@main.group()
def schema() -> None:
    """Linkage schema files."""


@schema.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))  # a directory is one problem
@click.option("--strict", is_flag=True, help="Treat warnings (weak privacy settings) as errors.")
def schema_validate(files: tuple[Path, ...], strict: bool) -> None:
    """Check schema files against the JSON Schema and the semantic rules; one line per problem."""
    failed = False
    for path in files:
        problems = pprl.validate_schema(path)
        for problem in problems:
            click.echo(problem.render(path), err=problem.severity == "warning" and not strict)
        failed |= any(p.severity == "error" or strict for p in problems)
        if not problems:
            click.echo(f"{path}: valid", err=True)
    sys.exit(1 if failed else 0)


# --- encode ------------------------------------------------------------------------------------

def _secret_path(secret_file: Path | None) -> Path:
    if secret_file is None:
        raise click.UsageError(f"no secret: pass --secret-file FILE or set {SECRET_ENV}=FILE")
    return secret_file


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--schema", "schema_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Linkage schema (JSON) agreed by all agencies.")
@click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path), envvar=SECRET_ENV,
              show_envvar=True, help="File holding the shared secret (from pprl keygen).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COL[+COL...]",
              help="Read FIELD from column COL (several joined with spaces); FIELD= means no such column.")
@click.option("--id-column", help="Column with the agency's record IDs (default: the first column).")
@click.option("--dataset", help="Name of this dataset in reports (default: the input file name).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Encoded file to write (Parquet).")
@click.option("--strict", is_flag=True, help="Stop at the first value that cannot be read instead of counting it as missing.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes to use (default: all cores).")
@click.option("--age-reference-year", type=click.IntRange(1900, 2200), help="Year in which ages found in date "
              "fields (e.g. '7 years', '7 лет') were recorded; they become estimated birth years.")
def encode(input_path: Path, schema_path: Path, secret_file: Path | None, maps: tuple[str, ...],
           id_column: str | None, dataset: str | None, output: Path, strict: bool, workers: int | None,
           age_reference_year: int | None) -> None:
    """Encode an export (CSV, .xlsx or Parquet) into Bloom-filter encodings on this machine."""
    from pprl.agency.encode import parse_maps

    try:
        mapping = parse_maps(maps)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--map") from None
    _refuse_overwriting([input_path, schema_path, secret_file], [output])
    secret = pprl.read_secret(_secret_path(secret_file))
    linkage_schema = pprl.load_schema(schema_path)
    show = sys.stderr.isatty()
    counted = 0
    started = time.perf_counter()

    def progress(records: int) -> None:
        nonlocal counted
        counted += records
        if show:
            rate = counted / max(time.perf_counter() - started, 1e-9)
            click.echo(f"\rencoded {counted:,} records ({rate:,.0f}/s)", err=True, nl=False)

    try:
        summary = pprl.encode_file(input_path, output, linkage_schema, secret, mapping, id_column, dataset,
                                   strict=strict, workers=workers, progress=progress,
                                   age_reference_year=age_reference_year)
    finally:
        if show and counted:
            click.echo("", err=True)  # ends the progress line, before the summary or an error message
    rate = summary.records / summary.seconds if summary.seconds else float("inf")
    _echo_err(f"encoded {summary.records:,} records in {summary.seconds:.1f} s ({rate:,.0f} records/s) -> {output}")
    for spec in linkage_schema.fields:
        unreadable = summary.unparsable[spec.name]
        note = f", {unreadable:,} unreadable (counted as missing)" if unreadable else ""
        _echo_err(f"  {spec.name:<16} missing {summary.missing_rate(spec.name):6.1%}{note}")


# --- link --------------------------------------------------------------------------------------

@main.command()
@click.argument("encoded_files", metavar="ENCODED ENCODED [ENCODED...]", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="MATCHES.csv: id_a (first file), id_b (second file), score.")
@click.option("--threshold", type=_Probability(), help="Match probability to accept (default: chosen "
              "automatically to maximise the expected F1, and printed with its rationale).")
@click.option("--many", is_flag=True, help="Keep every pair above the threshold (one-to-many), not one-to-one.")
@click.option("--top-k", type=click.IntRange(min=1), help="Write the K best candidates of each record of the first "
              "file, with their rank, for human review (ignores the threshold).")
@click.option("--clusters", "clusters_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With three or more files: write clusters (at most one record per file) here.")
@click.option("--split-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per agency holding only its own record IDs and a match ID, to send back.")
@click.option("--explain", is_flag=True, help="Add each filter column's evidence (log-likelihood ratio) per pair.")
@click.option("--candidates", "candidates_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every scored candidate pair of the first two files (before the threshold and "
              "one-to-one), e.g. for pprl evaluate's threshold sweep and plot.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where pairs are scored: this process, or a dask.distributed cluster (same results).")
@click.option("--scheduler", metavar="ADDRESS", help="With --engine dask: the scheduler to use (default: start a "
              "local cluster of 2 worker processes for this run).")
def link(encoded_files: tuple[Path, ...], output: Path, threshold: float | None, many: bool, top_k: int | None,
         clusters_path: Path | None, split_dir: Path | None, explain: bool, candidates_path: Path | None, engine: str,
         scheduler: str | None) -> None:
    """Match the encoded files of two or more agencies; needs no secret and no raw data."""
    from pprl.atomic import output_group, write_csv
    from pprl.coordinator import reports

    if len(encoded_files) < 2:
        raise click.UsageError("give at least two encoded files")
    if many and top_k:
        raise click.UsageError("--many and --top-k exclude each other")
    if clusters_path and len(encoded_files) < 3:
        raise click.UsageError("--clusters needs three or more encoded files")
    if top_k and split_dir:
        raise click.UsageError("--top-k writes candidates for review, not matches to send back: drop --split-dir")
    twice = _repeated(encoded_files)
    if twice is not None:
        raise click.UsageError(f"{twice} is given twice: link the files of different agencies")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    datasets = pprl.read_encoded(*encoded_files)
    split_files = reports.split_paths(datasets, split_dir, len(datasets) > 2) if split_dir else []
    outputs = [output, candidates_path, clusters_path, *split_files]
    _refuse_overwriting(encoded_files, outputs)
    started = time.perf_counter()
    with output_group() as group:
        # Claimed before the work, so that an output that cannot be written fails at once; all appear at the end.
        if split_dir:
            group.folder(split_dir)
        for path in filter(None, outputs):
            group.path(path)
        linkage = pprl.link(datasets, threshold, top_k=top_k, engine=engine, scheduler=scheduler, progress=_echo_err)
        mode = "many" if many else "one-to-one"
        matches = pprl.matches_frame(linkage, 0, 1, mode, top_k, explain)
        clusters = pprl.cluster_frame(linkage, mode) if len(datasets) > 2 else None
        write_csv(matches, output, group)
        if candidates_path:
            write_csv(pprl.matches_frame(linkage, 0, 1, "candidates", explain=explain), candidates_path, group)
        if clusters is not None and clusters_path:
            write_csv(clusters, clusters_path, group)
        written = reports.write_split(linkage, matches, clusters, split_dir, group) if split_dir else []
    for path in written:
        _echo_err(f"wrote {path}")
    for line in reports.summary_lines(linkage, matches, clusters, time.perf_counter() - started):
        _echo_err(line)


# --- evaluate ----------------------------------------------------------------------------------

@main.command()
@click.argument("matches_path", metavar="MATCHES.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--truth", "truth_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="TRUTH.csv: known true pairs (first dataset ID, second dataset ID).")
@click.option("--sweep/--no-sweep", default=True, help="Print precision/recall/F1 over a range of thresholds.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write score histograms and the precision/recall curve to this image; its suffix gives the "
              "format (.png, .pdf, .svg, ...).")
@click.option("--threshold", type=_Probability(), help="Evaluate only pairs scoring at least this; marked on the plot.")
def evaluate(matches_path: Path, truth_path: Path, sweep: bool, plot_path: Path | None, threshold: float | None) -> None:
    """Precision, recall and F1 of a linkage against known true pairs."""
    from pprl.tools import evaluation

    if plot_path:
        try:
            evaluation.plot_format(plot_path)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--plot") from None
        _refuse_overwriting([matches_path, truth_path], [plot_path])
    matches = evaluation.read_matches(matches_path)
    truth = evaluation.read_truth(truth_path)
    for side in evaluation.unknown_sides(matches, truth):
        column = "first" if side == "id_a" else "second"
        _echo_err(f"warning: no {side} of {matches_path} is in the {column} column of {truth_path} "
                  "(columns swapped, or the truth of other files?)")
    metrics = pprl.evaluate(matches, truth, threshold)
    click.echo(str(metrics))
    if sweep:
        grid = sorted({*SWEEP_THRESHOLDS, *([threshold] if threshold is not None else [])})
        table = evaluation.sweep(matches, truth, grid)
        click.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if plot_path:
        evaluation.plot(matches, truth, plot_path, threshold)
        _echo_err(f"wrote {plot_path}")


# --- synth -------------------------------------------------------------------------------------

@main.command()
@click.option("--people", type=click.IntRange(min=1), default=1000, show_default=True,
              help="People in the population; each agency lists a share of them.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard", "extreme"]), default="medium",
              show_default=True, help="How noisy the foreign side is (romanisations, Arabic script, partial dates...).")
@click.option("--agencies", type=click.IntRange(2, 3), default=2, show_default=True,
              help="2: Cyrillic inquiry list (a) and foreign register (b); 3 adds hotline notes (c).")
@click.option("--overlap", type=click.FloatRange(0, 1), default=None,
              help="Share of the records of a and b that have a true partner on the other side "
                   "[default: 0.4; 0.75 is version 1's, where 60% of the people were in both].")
@click.option("--generator-version", "version", type=click.Choice(["1", "2"]), default="2", show_default=True,
              help="2: with the failure classes of real data (names of other origins, real spellings, "
                   "Ukrainian forms, glued parts, Arabic readings, estimated ages, Hijri dates); "
                   "1: without them (with --overlap 0.75, the files pprl 0.2.0 made).")
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for a.csv, b.csv (c.csv) and truth_*.csv.")
def synth(people: int, seed: int, difficulty: str, agencies: int, overlap: float | None, version: str,
          folder: Path) -> None:
    """Generate realistic synthetic multi-agency exports with ground truth (no real person in them)."""
    from pprl.tools import synth as synthesis

    extra = {} if overlap is None else {"overlap": overlap}
    data = synthesis.generate(people, seed=seed, difficulty=difficulty, agencies=agencies, version=int(version),
                              **extra)
    for path in synthesis.write(data, folder):
        _echo_err(f"wrote {path}")
