"""The in-process transport: httpx calls the emulator without a socket.

Owns: ``EmulatorTransport`` (a dropped connection raises ``httpx.RemoteProtocolError``, as a dying
proxy would), the streaming body, and ``wsgi`` (the emulator as a WSGI application).
Called by: ``Emulator.transport()``, ``Emulator.wsgi``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from reconciler.emulator import wire

if TYPE_CHECKING:
    from reconciler.emulator.app import Emulator

__all__ = ["EmulatorTransport", "wsgi"]


class EmulatorTransport(httpx.BaseTransport):
    """In-process transport: the WSGI app without a socket; a dropped connection raises like one."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if len(body) > wire.MAX_BODY:
            error = wire.json_bytes({"error": "request body too large"})
            return httpx.Response(
                413, headers={"Content-Type": "application/json"}, content=error, request=request
            )
        headers = {k.lower(): v for k, v in request.headers.items()}
        base = f"{request.url.scheme}://{request.url.netloc.decode()}"
        query = request.url.query.decode() if isinstance(request.url.query, bytes) else str(request.url.query)
        incoming = wire.Request(request.method, request.url.path, query, headers, body, base)
        try:
            status, out_headers, payload = self.emulator.handle(incoming)
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


def wsgi(emulator: Emulator, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer one WSGI request with ``emulator`` (bodies above ``wire.MAX_BODY`` answer 413)."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > wire.MAX_BODY:
        start_response("413 Content Too Large", [("Content-Type", "application/json")])
        return [wire.json_bytes({"error": "request body too large"})]
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    host = (
        headers.get("host") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    base = f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
    request = wire.Request(
        str(environ.get("REQUEST_METHOD", "GET")).upper(),
        str(environ.get("PATH_INFO", "/")) or "/",
        str(environ.get("QUERY_STRING", "")),
        headers,
        body,
        base,
    )
    status, out_headers, payload = emulator.handle(request)
    start_response(f"{status} {wire.REASONS.get(status, '')}".strip(), list(out_headers.items()))
    return [payload] if isinstance(payload, bytes) else payload
