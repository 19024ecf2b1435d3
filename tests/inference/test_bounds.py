"""Hostile endpoints on loopback: every answer ends within the timeout and the size limits.

Before the bounds (measured on this tree's parent commit, 1.5 GB address-space cap, timeout=2): an
endless event stream was still being read after 8 s; a 3 GiB JSON body, a 1 MiB gzip bomb and an
endless stream line each ended in ``MemoryError`` at the cap. The server here offers gigabytes; the
assertions check that the client stopped early (``server.sent``) and soon (wall clock, with slack
for a loaded 2-core machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.inference import AsyncInferenceClient, InferenceClient, errors
from tests.inference.hostile import HostileServer

MiB = 1 << 20
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def test_an_endless_stream_ends_at_the_timeout(server: HostileServer) -> None:
    started = time.monotonic()
    seen = 0
    with (
        InferenceClient(f"{server.url}/endless-sse?interval=0.01", timeout=1.0) as client,
        pytest.raises(errors.InferenceTimeoutError, match=r"within 1\.0 s") as caught,
    ):
        for _ in client.text_generation("Hi", stream=True):
            seen += 1
    elapsed = time.monotonic() - started
    assert seen > 5 and 0.9 <= elapsed < 3.0
    assert isinstance(caught.value, TimeoutError)


def test_an_endless_stream_without_a_timeout_ends_at_the_size_limit(server: HostileServer) -> None:
    before = server.sent
    with (
        InferenceClient(f"{server.url}/endless-sse?interval=0", max_response_bytes=256 * 1024) as client,
        pytest.raises(errors.InferenceResponseTooLargeError, match="262144 bytes"),
    ):
        for _ in client.text_generation("Hi", stream=True):
            pass
    assert server.sent - before < 16 * MiB


def test_a_line_without_end_is_refused(server: HostileServer) -> None:
    started = time.monotonic()
    with (
        InferenceClient(f"{server.url}/endless-line", timeout=30) as client,
        pytest.raises(errors.InferenceResponseTooLargeError, match="line longer than"),
    ):
        list(client.text_generation("Hi", stream=True))
    assert time.monotonic() - started < 10


def test_a_body_of_gigabytes_stops_at_the_limit(server: HostileServer) -> None:
    before = server.sent
    with (
        InferenceClient(f"{server.url}/huge-json", timeout=30, max_response_bytes=MiB) as client,
        pytest.raises(errors.InferenceResponseTooLargeError, match="1048576 bytes"),
    ):
        client.feature_extraction("x")
    assert server.sent - before < 16 * MiB  # 4 GiB offered; socket buffers hold a few MiB at most


def test_a_gzip_bomb_stops_at_the_decoded_limit(server: HostileServer) -> None:
    before = server.sent
    with (
        InferenceClient(f"{server.url}/gzip-bomb", timeout=30, max_response_bytes=MiB) as client,
        pytest.raises(errors.InferenceResponseTooLargeError),
    ):
        client.post(json={"inputs": "x"})
    assert server.sent - before < MiB  # what went over the wire is tiny; the limit counts decoded bytes


def test_a_trickle_ends_near_the_timeout(server: HostileServer) -> None:
    """One byte every 50 ms: each read is quick, so only a deadline over the whole body stops it."""
    started = time.monotonic()
    with (
        InferenceClient(f"{server.url}/trickle?interval=0.05", timeout=0.5) as client,
        pytest.raises(errors.InferenceTimeoutError),
    ):
        client.feature_extraction("x")
    assert time.monotonic() - started < 2.5


def test_limits_hold_under_an_address_space_cap(server: HostileServer) -> None:
    """The default limit (32 MiB) against a 4 GiB body, in a process that may not grow past 768 MiB."""
    script = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))
        from reconciler.inference import InferenceClient, errors
        with InferenceClient("{server.url}/huge-json", timeout=60) as client:
            try:
                client.feature_extraction("x")
            except errors.InferenceResponseTooLargeError as exc:
                print("refused:", exc)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=90, env=env, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "33554432 bytes" in done.stdout


@pytest.mark.anyio
async def test_the_async_client_has_the_same_bounds(server: HostileServer) -> None:
    started = time.monotonic()
    async with AsyncInferenceClient(f"{server.url}/endless-sse?interval=0.01", timeout=1.0) as client:
        with pytest.raises(errors.InferenceTimeoutError):
            async for _ in await client.text_generation("Hi", stream=True):
                pass
    assert time.monotonic() - started < 3.0
    async with AsyncInferenceClient(f"{server.url}/gzip-bomb", timeout=30, max_response_bytes=MiB) as client:
        with pytest.raises(errors.InferenceResponseTooLargeError):
            await client.feature_extraction("x")
