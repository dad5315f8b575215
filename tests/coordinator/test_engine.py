"""The dask engine scores the same candidates as the local one, with identical results."""

from __future__ import annotations

import numpy as np
import pytest

from pprl.coordinator import engine, link

pytest.importorskip("dask.distributed")

MAPS = ["--map", "name=given_name+patronymic+surname"]


@pytest.fixture(scope="module")
def dask_engine():
    runner = engine.DaskEngine(block_rows=64)
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def encoded_pair(tmp_path_factory):
    from click.testing import CliRunner

    from pprl.agency import keys
    from pprl.cli import main
    from pprl.tools import synth

    out = tmp_path_factory.mktemp("engine")
    synth.write(synth.generate(400, seed=5, overlap=synth.LEGACY_OVERLAP, version=1), out)
    secret = out / "secret.key"
    keys.write_secret(secret, keys.generate_secret())
    schema = str(engine.__file__).rsplit("/pprl/", 1)[0] + "/schemas/missing-persons.json"
    runner = CliRunner()
    for name, maps in (("a", MAPS), ("b", ["--map", "name=full_name"])):
        result = runner.invoke(main, ["encode", str(out / f"{name}.csv"), "--schema", schema, "--secret-file",
                                      str(secret), "--id-column", "record_id", *maps, "-o", str(out / f"{name}.pprl"),
                                      "--workers", "1"])
        assert result.exit_code == 0, result.output
    return out


def test_get_validates():
    from pprl.errors import PprlError

    assert isinstance(engine.get("local"), engine.LocalEngine)
    with pytest.raises(PprlError):
        engine.get("spark")
    with pytest.raises(PprlError):
        engine.get("local", "tcp://127.0.0.1:8786")


@pytest.mark.parametrize("candidates", [False, True])
def test_dask_scores_identical_to_local(dask_engine, encoded_pair, candidates):
    from pprl import encoded
    from pprl.coordinator import blocking

    a, b = encoded.read(encoded_pair / "a.pprl"), encoded.read(encoded_pair / "b.pprl")
    pa, pb = link.Prepared.of(a), link.Prepared.of(b)
    table = np.linspace(-3, 5, 20)[None, :].repeat(len(a.columns), 0)
    args = (a.bits, pa.popcounts, b.bits, pb.popcounts, a.offsets, table, -6.0, -2.0, 5)
    extra = blocking.candidates(a, b)[:2] if candidates else ()
    local = engine.LocalEngine().score(*args, *extra)
    remote = dask_engine.score(*args, *extra)
    assert len(local[0]) > 0
    for x, y in zip(local, remote):
        assert np.array_equal(x, y)


def test_cli_dask_engine_writes_identical_matches(encoded_pair, monkeypatch):
    from click.testing import CliRunner

    from pprl.cli import main

    monkeypatch.setattr(engine, "BLOCK_ROWS", 50)
    runner = CliRunner()
    files = [str(encoded_pair / "a.pprl"), str(encoded_pair / "b.pprl")]
    local = runner.invoke(main, ["link", *files, "-o", str(encoded_pair / "local.csv")])
    assert local.exit_code == 0, local.output
    try:
        remote = runner.invoke(main, ["link", *files, "-o", str(encoded_pair / "dask.csv"), "--engine", "dask"])
        assert remote.exit_code == 0, remote.output
    finally:
        engine.close_all()
    text = (encoded_pair / "local.csv").read_text()
    assert text.count("\n") > 50
    assert (encoded_pair / "dask.csv").read_text() == text


def test_scheduler_needs_dask_engine(encoded_pair, tmp_path):
    from click.testing import CliRunner

    from pprl.cli import main

    result = CliRunner().invoke(main, ["link", str(encoded_pair / "a.pprl"), str(encoded_pair / "b.pprl"),
                                       "-o", str(tmp_path / "m.csv"), "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert not (tmp_path / "m.csv").exists()
