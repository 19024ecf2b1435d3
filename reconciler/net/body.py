"""Reading an answer's body with a size bound that holds after decompression.

Owns: ``read`` and ``ACCEPT_ENCODING``. Called by: ``reconciler.net.send``. Must not: parse the body.

httpx would inflate a gzip body whole: a 1 MB gzip bomb became 1 GiB (7 GB of memory in all). Here
the raw bytes are read chunk by chunk and inflated with zlib's ``max_length``, so neither the wire
bytes nor the decoded bytes can pass the limit, and a stalled or cancelled budget is noticed
between chunks even on a transport without ``budget.BoundedBackend``.
"""

from __future__ import annotations

import zlib

import httpx

from reconciler.net import budget as budget_mod
from reconciler.net import errors

__all__ = ["ACCEPT_ENCODING", "read"]

# What hfleet asks for; any other Content-Encoding in an answer is refused.
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    """One zlib stream whose output may not pass ``room`` bytes in all."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib: zlib._Decompress | None = None

    def feed(self, data: bytes, room: int) -> bytes:
        if self._zlib is None:
            self._zlib = zlib.decompressobj(self._wbits(data))
        pieces: list[bytes] = []
        produced = 0
        try:
            while data:
                # Ask for one byte more than the room left: getting it means the limit is passed.
                piece = self._zlib.decompress(data, room - produced + 1)
                produced += len(piece)
                if produced > room:
                    raise _Overflow
                pieces.append(piece)
                data = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise errors.UndecodableBody(f"the answer's {self.coding} data is corrupt ({exc})") from None
        return b"".join(pieces)

    def finish(self, room: int) -> bytes:
        if self._zlib is None:
            return b""
        try:
            rest = self._zlib.flush()
        except zlib.error as exc:
            raise errors.UndecodableBody(f"the answer's {self.coding} data is corrupt ({exc})") from None
        if len(rest) > room:
            raise _Overflow
        return rest

    def _wbits(self, first: bytes) -> int:
        if self.coding in ("gzip", "x-gzip"):
            return 16 + zlib.MAX_WBITS
        # "deflate" means a zlib stream (RFC 9110 §8.4.1.2); some servers send raw deflate instead.
        zlib_header = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] * 256 + first[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS


class _Overflow(Exception):
    pass


def _coding(response: httpx.Response) -> str | None:
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise errors.UndecodableBody(
            f"the answer's Content-Encoding {', '.join(codings)!r} is not one hfleet accepts "
            f"({ACCEPT_ENCODING})"
        )
    coding: str = codings[0]
    return coding


def read(response: httpx.Response, limit: int, budget: budget_mod.Budget) -> bytes:
    """The decoded body of a streamed ``response``: at most ``limit`` bytes on the wire and decoded.

    Raises ``BodyTooLarge``, ``UndecodableBody``, ``DeadlineExceeded`` or ``Cancelled`` (checked
    between chunks); transport errors of httpx pass through.
    """
    if response.is_stream_consumed:
        # An answer built in memory (a transport mounting an app in-process): httpx read it whole
        # already, there is no wire to bound; only the size rule still applies.
        if len(response.content) > limit:
            raise errors.BodyTooLarge(limit)
        return response.content
    coding = _coding(response)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.BodyTooLarge(limit, f"the answer (Content-Length {declared})")
    inflater = _Inflater(coding) if coding else None
    raw_total = 0
    out: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw():
            if budget.cancelled():
                raise errors.Cancelled("reading the answer")
            if budget.expired():
                raise errors.DeadlineExceeded(budget.seconds)
            raw_total += len(chunk)
            if raw_total > limit:
                raise errors.BodyTooLarge(limit)
            piece = inflater.feed(chunk, limit - size) if inflater else chunk
            size += len(piece)
            out.append(piece)
        if inflater:
            out.append(inflater.finish(limit - size))
    except _Overflow:
        raise errors.BodyTooLarge(limit, f"the answer, once {coding}-decoded,") from None
    return b"".join(out)
