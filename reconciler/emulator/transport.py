"""The in-process transport: httpx calls the emulator without a socket.

Owns: ``EmulatorTransport`` (a dropped connection raises ``httpx.RemoteProtocolError``, as a dying
proxy would) and the streaming body. Called by: ``Emulator.transport()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from reconciler.emulator import wire

if TYPE_CHECKING:
    from reconciler.emulator.app import Emulator

__all__ = ["EmulatorTransport"]


class EmulatorTransport(httpx.BaseTransport):
    """In-process transport: the WSGI app without a socket; a dropped connection raises like one."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        base = f"{request.url.scheme}://{request.url.netloc.decode()}"
        query = request.url.query.decode() if isinstance(request.url.query, bytes) else str(request.url.query)
        try:
            status, out_headers, payload = self.emulator.handle(
                request.method, request.url.path, query, headers, body, base
            )
        except wire.Drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        if isinstance(payload, bytes):
            return httpx.Response(status, headers=out_headers, content=payload, request=request)
        return httpx.Response(status, headers=out_headers, stream=_Stream(payload), request=request)


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    def close(self) -> None:
        with contextlib.suppress(Exception):
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()
