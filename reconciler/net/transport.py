"""The httpx transport of hfleet's real network calls, and the client built on it.

Owns: ``BoundedTransport`` (httpcore pools on ``budget.BoundedBackend``, plain http refused except
to loopback, proxies from the environment) and ``client`` (an ``httpx.Client`` on it that never
follows redirects by itself). Called by: whoever connects to the real API or to an endpoint (the
engine's ``connect``, the smoke tests). Must not: parse answers or retry; ``reconciler.net.send``
bounds sizes and redirects, the API client retries.

Tests and ``--emulator`` mount the emulator's in-process transport instead: it has no socket, so
there is no deadline to keep there, and ``send`` still bounds sizes and redirects.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import urllib.request
from collections.abc import Iterator, Mapping

import httpcore
import httpx

from reconciler.net import budget, limits, urls

__all__ = ["BoundedTransport", "client"]

# httpcore's exceptions as httpx's, most specific first (httpx does the same for its own transport).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for source, target in _EXCEPTIONS:
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__, request=request) from exc
        raise


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: httpcore.Response, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx(self._request):
            yield from self._stream.iter_stream()

    def close(self) -> None:
        with _as_httpx(self._request):
            self._stream.close()


def _bypassed(host: str, no_proxy: str) -> bool:
    """``no_proxy`` as curl and urllib read it: ``*``, or hosts and domain suffixes, comma-separated."""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower().lstrip(".") for e in no_proxy.split(",")):
        entry = entry.split(":")[0] if entry.count(":") == 1 else entry  # "host:port": the host
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


class BoundedTransport(httpx.BaseTransport):
    """Real sockets, every wait bounded by the current ``budget.Budget``.

    ``allow_insecure_http`` lifts the rule that plain http goes to loopback only (the token and
    request bodies would travel in clear text). ``proxies`` maps a scheme (or ``all``, and ``no``
    for the bypass list) to a proxy URL, as ``urllib.request.getproxies_environment`` returns them;
    loopback is never proxied. ``backend`` replaces the socket backend (tests).
    """

    def __init__(
        self,
        *,
        allow_insecure_http: bool = False,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 20,
        proxies: Mapping[str, str] | None = None,
        backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allow_insecure_http = allow_insecure_http
        self._ssl = httpx.create_ssl_context(verify=verify, trust_env=True)
        self._backend = budget.BoundedBackend(backend)
        self._max = max_connections
        self._proxies = dict(proxies or {})
        self._direct = self._pool(None)
        self._via: dict[str, httpcore.ConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, proxy: str | None) -> httpcore.ConnectionPool:
        common = {
            "ssl_context": self._ssl,
            "max_connections": self._max,
            "max_keepalive_connections": self._max,
            "network_backend": self._backend,
        }
        if proxy is None:
            return httpcore.ConnectionPool(**common)  # type: ignore[arg-type]
        return httpcore.HTTPProxy(proxy_url=proxy, **common)  # type: ignore[arg-type]

    def _route(self, url: httpx.URL) -> httpcore.ConnectionPool:
        proxy = self._proxies.get(url.scheme) or self._proxies.get("all")
        if not proxy or urls.is_loopback(url.host) or _bypassed(url.host, self._proxies.get("no", "")):
            return self._direct
        with self._lock:
            if proxy not in self._via:
                self._via[proxy] = self._pool(proxy)
            return self._via[proxy]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        urls.require_secure(
            str(request.url.copy_with(query=None)),
            allow_insecure_http=self.allow_insecure_http,
            what="request URL",
        )
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(request):
            answer = self._route(request.url).handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer, request),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._direct.close()
        with self._lock:
            for pool in self._via.values():
                pool.close()


def client(
    bounds: limits.Limits | None = None,
    *,
    allow_insecure_http: bool = False,
    max_connections: int = 20,
    transport: httpx.BaseTransport | None = None,
    environ_proxies: bool = True,
) -> httpx.Client:
    """An ``httpx.Client`` for hfleet's calls: ``BoundedTransport`` (unless ``transport`` is given,
    e.g. the emulator's), the per-read timeouts of ``bounds``, and redirects never followed by
    httpx itself (``reconciler.net.send`` decides). Proxies come from ``*_proxy`` variables."""
    bounds = bounds or limits.Limits()
    proxies = urllib.request.getproxies_environment() if environ_proxies else {}
    chosen = transport or BoundedTransport(
        allow_insecure_http=allow_insecure_http, max_connections=max_connections, proxies=proxies
    )
    timeout = httpx.Timeout(bounds.read_timeout, connect=bounds.connect_timeout, pool=bounds.deadline)
    return httpx.Client(transport=chosen, timeout=timeout, follow_redirects=False, trust_env=False)
