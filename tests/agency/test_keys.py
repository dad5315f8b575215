"""Tests of pprl.agency.keys and `pprl keygen`: secret files, per-field keys, check values."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from click.testing import CliRunner

from pprl.agency import keys
from pprl.cli import main
from pprl.errors import KeyFileError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- keygen --------------------------------------------------------------------------------------

def test_keygen_writes_0600_and_prints_only_the_check_value(tmp_path):
    target = tmp_path / "secret.key"
    result = CliRunner().invoke(main, ["keygen", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
    secret = keys.read_secret(target)
    assert len(secret) * 8 >= 256
    check = keys.check_value(secret)
    assert check in result.output
    # nothing of the key itself: neither its encodings nor the file's text
    text = target.read_text().strip()
    everything = result.output + (result.stderr or "")
    for revealing in (text, text.split()[-1], base64.b64encode(secret).decode(), secret.hex(),
                      base64.urlsafe_b64encode(secret).decode().rstrip("=")[:16], secret.hex()[:16]):
        assert revealing not in everything
    assert [line for line in result.output.splitlines() if line.strip()] == [f"key check value: {check}"]
    assert not [p for p in tmp_path.iterdir() if p.name != "secret.key"]


def test_keygen_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "secret.key"
    runner = CliRunner()
    assert runner.invoke(main, ["keygen", "-o", str(target)]).exit_code == 0
    before = target.read_bytes()
    result = runner.invoke(main, ["keygen", "-o", str(target)])
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_bytes() == before
    result = runner.invoke(main, ["keygen", "-o", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() != before
    assert _mode(target) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name != "secret.key"]


def test_keygen_makes_a_fresh_secret_each_time(tmp_path):
    runner = CliRunner()
    outputs = [runner.invoke(main, ["keygen", "-o", str(tmp_path / f"k{i}")]).output for i in range(3)]
    assert len(set(outputs)) == 3


def test_write_secret_is_0600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        keys.write_secret(tmp_path / "k", keys.generate_secret())
    finally:
        os.umask(old)
    assert _mode(tmp_path / "k") == 0o600


# --- read_secret ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o601])
def test_read_secret_refuses_files_others_can_access(tmp_path, mode):
    path = tmp_path / "secret.key"
    keys.write_secret(path, keys.generate_secret())
    os.chmod(path, mode)
    with pytest.raises(KeyFileError) as caught:
        keys.read_secret(path)
    message = str(caught.value)
    assert str(path) in message
    assert "chmod 600" in message
    assert path.read_text().split()[-1] not in message


def test_read_secret_accepts_0400(tmp_path):
    path = tmp_path / "secret.key"
    secret = keys.generate_secret()
    keys.write_secret(path, secret)
    os.chmod(path, 0o400)
    assert keys.read_secret(path) == secret


@pytest.mark.parametrize("content", [
    b"",
    b"garbage",
    b"pprl-secret-v1 " + base64.urlsafe_b64encode(b"x" * 16) + b"\n",  # 128 bits: too short
    b"pprl-secret-v1 !!!not-base64!!!\n",
    b"other-magic " + base64.urlsafe_b64encode(b"x" * 32) + b"\n",
    b"\xff\xfe\x00binary",
])
def test_read_secret_refuses_short_or_garbage_files(tmp_path, content):
    path = tmp_path / "secret.key"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError) as caught:
        keys.read_secret(path)
    assert str(path) in str(caught.value)
    assert "keygen" in str(caught.value)


def test_read_secret_missing_file_and_directory(tmp_path):
    with pytest.raises(KeyFileError, match="not found"):
        keys.read_secret(tmp_path / "nope")
    with pytest.raises(KeyFileError, match="regular file"):
        keys.read_secret(tmp_path)


def test_round_trip(tmp_path):
    secret = keys.generate_secret()
    keys.write_secret(tmp_path / "k", secret)
    assert keys.read_secret(tmp_path / "k") == secret


# --- derived values --------------------------------------------------------------------------------

def test_check_value_is_stable_and_distinguishes_secrets():
    one, two = keys.generate_secret(), keys.generate_secret()
    assert keys.check_value(one) == keys.check_value(bytes(one))
    assert keys.check_value(one) != keys.check_value(two)
    value = keys.check_value(one)
    assert len(value) == 16 and int(value, 16) >= 0
    assert value not in one.hex()


def test_check_value_is_a_fixed_known_answer():
    # regression guard: changing the derivation would silently make old encodings unlinkable
    assert keys.check_value(bytes(32)) == keys.check_value(b"\x00" * 32)
    assert keys.check_value(bytes(32)) != keys.check_value(b"\x00" * 31 + b"\x01")


def test_field_keys_differ_per_column_schema_and_secret():
    one, two = keys.generate_secret(), keys.generate_secret()
    fp1, fp2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    base = keys.field_key(one, fp1, "name")
    assert base == keys.field_key(one, fp1, "name")
    assert len(base) == 32
    others = [keys.field_key(one, fp1, "birth_date.year"), keys.field_key(one, fp1, "birth_date.month_day"),
              keys.field_key(one, fp2, "name"), keys.field_key(two, fp1, "name")]
    assert len({base, *others}) == 5
    # no ambiguity from concatenation: ("ab", "c") and ("a", "bc") give different keys
    assert keys.field_key(one, "ab", "c") != keys.field_key(one, "a", "bc")
    assert base != one


# --- the secret never travels on the command line -----------------------------------------------------

def test_no_command_takes_the_secret_as_an_argument():
    import click

    def walk(command, path=()):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))

    for path, command in walk(main):
        for param in command.params:
            names = " ".join(getattr(param, "opts", [])) + " " + (param.name or "")
            if "secret" in names or "key" in names.replace("keygen", ""):
                assert param.name == "secret_file", (path, param.name)
                assert isinstance(param.type, click.Path), (path, param.name)


def test_encode_refuses_a_secret_option(tmp_path):
    result = CliRunner().invoke(main, ["encode", "in.csv", "--schema", "s.json", "--secret",
                                       base64.urlsafe_b64encode(b"x" * 32).decode(), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_encode_without_secret_is_a_usage_error(tmp_path):
    from tests.conftest import MISSING_PERSONS

    data = tmp_path / "in.csv"
    data.write_text("id,name,birth_date,sex,mother_name,father_name\n1,A,2000,m,,\n")
    result = CliRunner().invoke(main, ["encode", str(data), "--schema", str(MISSING_PERSONS),
                                       "-o", str(tmp_path / "o.parquet")], env={"PPRL_SECRET_FILE": None})
    assert result.exit_code == 2
    assert "PPRL_SECRET_FILE" in result.stderr
    assert not (tmp_path / "o.parquet").exists()


def test_secret_file_from_environment(tmp_path, secret_file):
    from tests.conftest import MISSING_PERSONS

    data = tmp_path / "in.csv"
    data.write_text("id,name,birth_date,sex,mother_name,father_name\n1,Zarema,2013-05-17,f,,\n")
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(main, ["encode", str(data), "--schema", str(MISSING_PERSONS), "-o", str(out)],
                                env={"PPRL_SECRET_FILE": str(secret_file)})
    assert result.exit_code == 0, result.output
    from pprl import encoded

    assert encoded.read(out).header["key_check"] == keys.check_value(keys.read_secret(secret_file))


def test_encode_refuses_world_readable_key(tmp_path, secret_file):
    from tests.conftest import MISSING_PERSONS

    os.chmod(secret_file, 0o644)
    data = tmp_path / "in.csv"
    data.write_text("id,name,birth_date,sex,mother_name,father_name\n1,Zarema,2013-05-17,f,,\n")
    out = tmp_path / "o.parquet"
    result = CliRunner().invoke(main, ["encode", str(data), "--schema", str(MISSING_PERSONS),
                                       "--secret-file", str(secret_file), "-o", str(out)])
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr and str(secret_file) in result.stderr
    assert not out.exists()
