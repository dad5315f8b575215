"""Tests of pprl.encoded: the encoded file format, its integrity and compatibility checks."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings, strategies as st

from pprl import encoded
from pprl.errors import CompatibilityError, PprlError

COLUMNS = [encoded.Column("name", "name", 128), encoded.Column("birth_date.year", "birth_date", 64),
           encoded.Column("birth_date.month_day", "birth_date", 64)]
WORDS = sum(c.words for c in COLUMNS)
SCHEMA_DOC = {"schema_version": 1, "name": "t", "fields": [
    {"name": "name", "type": "string", "filter": {"bits": 128, "hashes": 2}, "weight": 5},
    {"name": "birth_date", "type": "date", "filter": {"bits": 64, "hashes": 2}, "weight": 3}]}


def _header(fingerprint="sha256:" + "1" * 64, key_check="00112233aabbccdd", dataset="agency"):
    return encoded.make_header(SCHEMA_DOC, fingerprint, key_check, dataset, COLUMNS)


def _random_bits(n, seed=0):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63, size=(n, WORDS), dtype=np.uint64) * 2 + rng.integers(0, 2, size=(n, WORDS), dtype=np.uint64)
    bits[::3, 2:4] = 0  # some missing dates
    return bits


def _write(path, ids, bits, chunks=1, **header):
    writer = encoded.Writer(path, COLUMNS, _header(**header))
    for part_ids, part_bits in zip(np.array_split(np.array(ids, dtype=object), chunks), np.array_split(bits, chunks)):
        writer.write(list(part_ids), part_bits)
    writer.close({"stats": {"records": len(ids)}})
    return path


def test_round_trip(tmp_path):
    ids = [f"id{i}" for i in range(50)] + ["Ünïcode-ид"]
    bits = _random_bits(len(ids))
    path = _write(tmp_path / "e.parquet", ids, bits, chunks=3)
    data = encoded.read(path)
    assert list(data.ids) == ids
    assert data.bits.dtype == np.uint64 and np.array_equal(data.bits, bits)
    assert data.columns == COLUMNS
    assert list(data.offsets) == [0, 2, 3, 4]
    assert data.fingerprint == "sha256:" + "1" * 64
    assert data.dataset == "agency"
    assert data.header["records"] == len(ids)
    assert data.header["stats"] == {"records": len(ids)}
    present = data.present
    assert present.shape == (len(ids), 3)
    assert np.array_equal(present[:, 2], bits[:, 3] != 0)
    assert not [p for p in tmp_path.iterdir() if p.name != "e.parquet"]


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_digest_does_not_depend_on_chunking(tmp_path_factory, n, chunks, seed):
    folder = tmp_path_factory.mktemp("chunks")
    ids = [str(i) for i in range(n)]
    bits = _random_bits(n, seed)
    one = encoded.read(_write(folder / "one.parquet", ids, bits, chunks=1))
    many = encoded.read(_write(folder / "many.parquet", ids, bits, chunks=min(chunks, n)))
    assert one.header["digest"] == many.header["digest"]
    assert np.array_equal(one.bits, many.bits)


def test_all_zero_rows_are_missing(tmp_path):
    bits = np.zeros((2, WORDS), np.uint64)
    bits[1, 0] = 1
    data = encoded.read(_write(tmp_path / "e.parquet", ["a", "b"], bits))
    assert data.present.tolist() == [[False, False, False], [True, False, False]]


def _rewrite(path, target, change_table=None, change_header=None):
    parquet = pq.ParquetFile(path)
    metadata = dict(parquet.metadata.metadata)
    table = parquet.read()
    if change_table:
        table = change_table(table)
    if change_header:
        header = json.loads(metadata[b"pprl"])
        change_header(header)
        metadata[b"pprl"] = json.dumps(header).encode()
    table = table.replace_schema_metadata(metadata)
    pq.write_table(table, target)
    return target


def test_rewritten_file_with_one_filter_changed_is_refused(tmp_path):
    path = _write(tmp_path / "e.parquet", [f"id{i}" for i in range(10)], _random_bits(10))
    # sanity: an unchanged rewrite is accepted
    encoded.read(_rewrite(path, tmp_path / "same.parquet"))

    def flip(table):
        column = table.column("name").to_pylist()
        column[4] = bytes([column[4][0] ^ 1]) + column[4][1:]
        return table.set_column(1, table.schema.field(1), pa.array(column, pa.binary(16)))

    tampered = _rewrite(path, tmp_path / "tampered.parquet", change_table=flip)
    with pytest.raises(PprlError, match="digest") as caught:
        encoded.read(tampered)
    assert str(tampered) in str(caught.value)


def test_rewritten_file_with_a_changed_id_or_dropped_row_is_refused(tmp_path):
    path = _write(tmp_path / "e.parquet", [f"id{i}" for i in range(10)], _random_bits(10))

    def rename(table):
        ids = table.column("id").to_pylist()
        ids[0] = "other"
        return table.set_column(0, table.schema.field(0), pa.array(ids, pa.string()))

    with pytest.raises(PprlError, match="digest"):
        encoded.read(_rewrite(path, tmp_path / "ids.parquet", change_table=rename))
    with pytest.raises(PprlError, match="digest"):
        encoded.read(_rewrite(path, tmp_path / "short.parquet", change_table=lambda t: t.slice(0, 9)))
    with pytest.raises(PprlError):
        encoded.read(_rewrite(path, tmp_path / "cols.parquet", change_table=lambda t: t.drop_columns(["name"])))


def test_every_single_byte_flip_is_refused_or_harmless(tmp_path):
    ids = [f"id{i}" for i in range(6)]
    bits = _random_bits(6)
    path = _write(tmp_path / "e.parquet", ids, bits)
    original = path.read_bytes()
    target = tmp_path / "flipped.parquet"
    unexpected = []
    for position in range(0, len(original), 2):  # every other byte: keeps the test quick
        damaged = bytearray(original)
        damaged[position] ^= 0x10
        target.write_bytes(bytes(damaged))
        try:
            data = encoded.read(target)
        except PprlError:
            continue
        except Exception as error:  # noqa: BLE001 - anything but a PprlError is a bug
            unexpected.append((position, type(error).__name__))
            continue
        # accepted: then the content must be exactly what was written
        assert list(data.ids) == ids and np.array_equal(data.bits, bits), position
    assert not unexpected, unexpected[:10]


@pytest.mark.parametrize("keep", [0, 4, 100, 0.5, 0.9, -1])
def test_truncated_file_is_refused(tmp_path, keep):
    path = _write(tmp_path / "e.parquet", [f"id{i}" for i in range(20)], _random_bits(20))
    content = path.read_bytes()
    cut = keep if isinstance(keep, int) and keep >= 0 else (len(content) - 1 if keep == -1 else int(len(content) * keep))
    path.write_bytes(content[:cut])
    with pytest.raises(PprlError) as caught:
        encoded.read(path)
    assert str(path) in str(caught.value)


def test_header_missing_keys_is_refused_with_a_clear_error(tmp_path):
    path = _write(tmp_path / "e.parquet", ["a", "b"], _random_bits(2))
    damaged = _rewrite(path, tmp_path / "damaged.parquet", change_header=lambda h: h.pop("columns"))
    with pytest.raises(PprlError):
        encoded.read(damaged)




def test_tampered_header_schema_is_refused(tmp_path):
    path = _write(tmp_path / "e.parquet", ["a", "b"], _random_bits(2))

    def reweigh(header):
        header["schema"]["fields"][0]["weight"] = 20
        header["schema"]["fields"][1]["missing"] = "disagree"

    with pytest.raises(PprlError):
        encoded.read(_rewrite(path, tmp_path / "reweighed.parquet", change_header=reweigh))


def test_different_format_version_is_refused(tmp_path):
    path = _write(tmp_path / "e.parquet", ["a", "b"], _random_bits(2))
    future = _rewrite(path, tmp_path / "future.parquet",
                      change_header=lambda h: h.update(format_version=encoded.FORMAT_VERSION + 1))
    with pytest.raises(CompatibilityError, match="format version") as caught:
        encoded.read(future)
    assert str(future) in str(caught.value)


def test_foreign_parquet_and_missing_file_are_refused(tmp_path):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["a"], "name": ["Zarema"]}), plain)
    with pytest.raises(PprlError, match="not a pprl encoded file") as caught:
        encoded.read(plain)
    assert "Zarema" not in str(caught.value)
    other = _rewrite(_write(tmp_path / "e.parquet", ["a"], _random_bits(1)), tmp_path / "other.parquet",
                     change_header=lambda h: h.update(format="something-else"))
    with pytest.raises(PprlError, match="not a pprl encoded file"):
        encoded.read(other)
    with pytest.raises(PprlError, match="not found"):
        encoded.read(tmp_path / "nope.parquet")


def test_failed_write_leaves_nothing_and_keeps_an_existing_file(tmp_path):
    target = tmp_path / "e.parquet"
    target.write_bytes(b"previous content")
    writer = encoded.Writer(target, COLUMNS, _header())
    writer.write(["a"], _random_bits(1))
    error = RuntimeError("boom")
    writer.abort(error)
    assert target.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.parquet"]


# --- compatibility -----------------------------------------------------------------------------------

def test_check_compatible(tmp_path):
    a = tmp_path / "agency_a.parquet"
    b = tmp_path / "agency_b.parquet"
    c = tmp_path / "agency_c.parquet"
    _write(a, ["1"], _random_bits(1))
    _write(b, ["2"], _random_bits(1))
    _write(c, ["3"], _random_bits(1))
    same = [encoded.read(p) for p in (a, b, c)]
    encoded.check_compatible([a, b, c], same)

    _write(b, ["2"], _random_bits(1), fingerprint="sha256:" + "2" * 64)
    with pytest.raises(CompatibilityError, match="same schema but by pprl versions") as caught:
        encoded.check_compatible([a, b], [encoded.read(a), encoded.read(b)])
    assert str(a) in str(caught.value) and str(b) in str(caught.value)

    other_schema = {**SCHEMA_DOC, "name": "other"}
    writer = encoded.Writer(b, COLUMNS, encoded.make_header(other_schema, "sha256:" + "3" * 64, "00112233aabbccdd",
                                                             "agency", COLUMNS))
    writer.write(["2"], _random_bits(1))
    writer.close({})
    with pytest.raises(CompatibilityError, match="different schema") as caught:
        encoded.check_compatible([a, b], [encoded.read(a), encoded.read(b)])
    assert str(a) in str(caught.value) and str(b) in str(caught.value)

    # a schema altered after encoding (weights, threshold) under the fingerprint it does not have
    writer = encoded.Writer(b, COLUMNS, encoded.make_header(other_schema, "sha256:" + "1" * 64, "00112233aabbccdd",
                                                             "agency", COLUMNS))
    writer.write(["2"], _random_bits(1))
    writer.close({})
    with pytest.raises(CompatibilityError, match="altered after encoding"):
        encoded.check_compatible([a, b], [encoded.read(a), encoded.read(b)])
    # descriptions are free text: another one is no difference
    described = {**SCHEMA_DOC, "description": "our copy"}
    writer = encoded.Writer(b, COLUMNS, encoded.make_header(described, "sha256:" + "1" * 64, "00112233aabbccdd",
                                                             "agency", COLUMNS))
    writer.write(["2"], _random_bits(1))
    writer.close({})
    encoded.check_compatible([a, b], [encoded.read(a), encoded.read(b)])

    _write(b, ["2"], _random_bits(1), key_check="ffffffffffffffff")
    with pytest.raises(CompatibilityError, match="secret") as caught:
        encoded.check_compatible([a, b], [encoded.read(a), encoded.read(b)])
    assert str(a) in str(caught.value) and str(b) in str(caught.value)
    assert "ffffffffffffffff" in str(caught.value)

    _write(b, ["2"], _random_bits(1))
    _write(c, ["3"], _random_bits(1), key_check="ffffffffffffffff")
    with pytest.raises(CompatibilityError) as caught:  # the third file is checked too
        encoded.check_compatible([a, b, c], [encoded.read(p) for p in (a, b, c)])
    assert str(c) in str(caught.value)
