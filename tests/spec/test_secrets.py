"""Secret references are read safely: regular files under an allowed root, bounded, as text, never
blocking, and no error ever carries a value."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler import errors, logs
from reconciler.spec import secrets

VALUE = 's3cr\u00e9t-"quoted"\\back'


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def from_file(path: str | Path) -> secrets.SecretRef:
    return secrets.SecretRef(from_file=str(path))


def refused(ref: secrets.SecretRef, roots: list[str], *, within: float = 2.0) -> str:
    """The error's text; the call must fail fast (a FIFO or a device must never block)."""
    started = time.monotonic()
    with pytest.raises(secrets.SecretUnavailable) as info:
        secrets.resolve(ref, "ep: secret K", roots=roots)
    assert time.monotonic() - started < within
    message = str(info.value)
    assert message.startswith("ep: secret K: ")
    assert isinstance(info.value, errors.ReconcilerError)
    return message


def test_a_file_under_the_root_is_read_with_one_newline_stripped(root: Path) -> None:
    (root / "k").write_text(VALUE + "\n\n")
    assert secrets.resolve(from_file(root / "k"), "ep", roots=[str(root)]) == VALUE + "\n"
    (root / "crlf").write_bytes(b"abcd\r\n")
    assert secrets.resolve(from_file(root / "crlf"), "ep", roots=[str(root)]) == "abcd"
    (root / "bare").write_text("abcd")
    assert secrets.resolve(from_file(root / "bare"), "ep", roots=[str(root)]) == "abcd"


def test_a_value_read_is_registered_for_redaction(root: Path) -> None:
    (root / "k").write_text("redact-me-please\n")
    secrets.resolve(from_file(root / "k"), "ep", roots=[str(root)])
    assert logs.redact("leak: redact-me-please") == f"leak: {logs.REDACTED}"


def test_a_relative_path_is_relative_to_the_first_root(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (root / "sub").mkdir()
    (root / "sub" / "k").write_text("first\n")
    (other / "k").write_text("second\n")
    assert secrets.resolve(from_file("sub/k"), "ep", roots=[str(root), str(other)]) == "first"
    assert secrets.resolve(from_file(other / "k"), "ep", roots=[str(root), str(other)]) == "second"
    message = refused(from_file("../other/k"), [str(root)])
    assert "outside the allowed directories" in message and "HFLEET_SECRETS_DIR" in message


@pytest.mark.parametrize("target", ["/etc/shadow", "/etc/passwd", "/proc/self/environ"])
def test_system_files_are_refused(root: Path, target: str) -> None:
    message = refused(from_file(target), [str(root)])
    assert f"secret file {target} is outside the allowed directories ({root})" in message


def test_a_symlink_escaping_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "git-config"
    outside.write_text("[remote] token=nope\n")
    (root / "link").symlink_to(outside)
    assert "outside the allowed directories" in refused(from_file(root / "link"), [str(root)])
    # A symlink that stays inside the root is followed.
    (root / "real").write_text("inside\n")
    (root / "alias").symlink_to(root / "real")
    assert secrets.resolve(from_file(root / "alias"), "ep", roots=[str(root)]) == "inside"


def test_a_fifo_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe")
    assert "is a FIFO (named pipe), not a regular file" in refused(from_file(root / "pipe"), [str(root)])


def test_a_directory_is_refused(root: Path) -> None:
    (root / "dir").mkdir()
    assert "is a directory, not a regular file" in refused(from_file(root / "dir"), [str(root)])


def test_dev_zero_is_refused_even_under_an_allowed_root(root: Path) -> None:
    assert "outside the allowed directories" in refused(from_file("/dev/zero"), [str(root)])
    # Even if someone allows /dev: a device is not a regular file, and nothing is read from it.
    assert "is a device, not a regular file" in refused(from_file("/dev/zero"), [str(root), "/dev"])


def test_a_two_gigabyte_sparse_file_is_refused_before_reading(root: Path) -> None:
    big = root / "big"
    with big.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    message = refused(from_file(big), [str(root)])
    assert f"is {2 * 1024**3} bytes; the limit is {secrets.MAX_BYTES}" in message


def test_the_size_check_holds_under_a_small_address_space(root: Path) -> None:
    """In a child limited to 512 MiB of address space, a 2 GB file is refused, not read."""
    big = root / "big"
    with big.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 * 1024**2, 512 * 1024**2))\n"
        "from reconciler.spec import secrets\n"
        "try:\n"
        f"    secrets.resolve(secrets.SecretRef(from_file={str(big)!r}), 'ep', roots=[{str(root)!r}])\n"
        "except secrets.SecretUnavailable as exc:\n"
        "    print('refused:', exc)\n"
    )
    assert resource.RLIMIT_AS  # the limit exists on this platform
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refused:" in done.stdout and "the limit is 65536" in done.stdout


def test_the_limit_itself_is_accepted(root: Path) -> None:
    (root / "max").write_bytes(b"a" * secrets.MAX_BYTES)
    assert len(secrets.resolve(from_file(root / "max"), "ep", roots=[str(root)])) == secrets.MAX_BYTES
    (root / "over").write_bytes(b"a" * (secrets.MAX_BYTES + 1))
    assert "the limit is" in refused(from_file(root / "over"), [str(root)])


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe\x00binary", "is not UTF-8 text (binary byte at offset 0)"),
        (b"abc\x00def", "is not text (it holds a NUL byte)"),
    ],
)
def test_binary_content_is_refused_without_showing_it(root: Path, content: bytes, words: str) -> None:
    (root / "bin").write_bytes(content)
    message = refused(from_file(root / "bin"), [str(root)])
    assert words in message and "def" not in message


def test_a_missing_file_and_a_missing_variable_name_the_reference(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "cannot read secret file nope: No such file or directory" in refused(
        from_file("nope"), [str(root)]
    )
    monkeypatch.delenv("HFLEET_TEST_MISSING", raising=False)
    message = refused(secrets.SecretRef(from_env="HFLEET_TEST_MISSING"), [str(root)])
    assert message == "ep: secret K: environment variable HFLEET_TEST_MISSING is not set"


def test_an_error_never_carries_the_value(root: Path) -> None:
    (root / "k").write_text("hunter2-" + "x" * secrets.MAX_BYTES)
    message = refused(from_file(root / "k"), [str(root)])
    assert "hunter2" not in message


def test_the_roots_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(secrets.ROOTS_ENV, raising=False)
    assert secrets.allowed_roots() == ("/run/secrets", "/var/run/secrets")
    monkeypatch.setenv(secrets.ROOTS_ENV, os.pathsep.join([str(tmp_path), "", "/srv/keys"]))
    assert secrets.allowed_roots() == (str(tmp_path), "/srv/keys")
    (tmp_path / "k").write_text("from-env-root\n")
    assert secrets.resolve(from_file("k"), "ep") == "from-env-root"


def test_from_env_reads_the_variable_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFLEET_TEST_SECRET", VALUE)
    assert secrets.resolve(secrets.SecretRef(from_env="HFLEET_TEST_SECRET"), "ep") == VALUE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"from_env": "A", "from_file": "/x"}, "exactly one of from_env or from_file"),
        ({}, "exactly one of from_env or from_file"),
        ({"from_env": "A\n"}, "must be an environment variable name"),
        ({"from_env": "my-var"}, "must be an environment variable name"),
        ({"from_file": ""}, "from_file must be a non-empty path"),
    ],
)
def test_a_bad_reference_is_refused(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        secrets.SecretRef.model_validate(data)
