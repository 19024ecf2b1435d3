"""The asynchronous inference client: ``client.InferenceClient`` method for method, awaited.

Owns: ``AsyncInferenceClient``. Streams are returned by an awaited call (the request and its retries
happen first) and consumed with ``async for``. Requests, retries and errors are the sync client's:
both build them with ``_protocol``. Keep the two files in step.
Called by: library users with an event loop, and tests (the smoke command uses the sync client).
Must not: log or show the token; it goes in the Authorization header and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, overload

import anyio
import httpx

from reconciler import logs
from reconciler.inference import _protocol, errors, types

__all__ = ["AsyncInferenceClient"]

_log = logs.get_logger(__name__)


class AsyncInferenceClient:
    """The async twin of ``InferenceClient`` (same arguments, with async ``transport`` / ``http``).

    ``model`` is the endpoint URL (``status.url``). ``timeout`` (seconds) bounds each call, retries
    included; None waits forever and never retries. ``scale_up_timeout`` is sent as ``X-Scale-Up-Timeout``
    so that a scaled-to-zero endpoint holds the request while a replica starts: None/True use
    ``timeout``, False turns it off. Pass ``transport`` (tests, the in-process emulator) or a ready
    ``http`` client (not closed by ``close()``).
    """

    def __init__(
        self,
        model: str,
        token: str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        health_route: str = "/health",
        scale_up_timeout: float | bool | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        if transport is not None and http is not None:
            raise ValueError("pass either `transport` or `http`, not both")
        self.model = model.rstrip("/")
        self.timeout = timeout
        self.health_route = "/" + health_route.lstrip("/")
        self._token = token
        self._headers = dict(headers or {})
        self._scale_up = _protocol.scale_up_seconds(scale_up_timeout, timeout)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(transport=transport, timeout=timeout)
        logs.register_secret(token)

    def __repr__(self) -> str:
        token = "***" if self._token else None
        return f"AsyncInferenceClient(model={self.model!r}, timeout={self.timeout!r}, token={token!r})"

    async def __aenter__(self) -> AsyncInferenceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # ------------------------------------------------------------------------------------ transport

    def _url(self, path: str) -> str:
        return self.model + ("/" + path.lstrip("/") if path.strip("/") else "")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        probe: bool = False,
    ) -> httpx.Response:
        """One call: send, classify a failure, wait and resend while the endpoint is coming up.

        A ``probe`` is sent once, without the wake-up header. The returned response is read and closed,
        unless ``stream``: then it is open and ``_events`` closes it.
        """
        url = self._url(path)
        deadline = _protocol.Deadline(self.timeout)
        scale_up = None if probe else self._scale_up
        attempt = 0
        while True:
            attempt += 1
            request = self._http.build_request(
                method,
                url,
                json=json,
                content=content,
                headers=_protocol.request_headers(
                    self._token, self._headers, headers, deadline.cap(scale_up)
                ),
                timeout=deadline.attempt_timeout(),
            )
            with _protocol.translated(url, self.timeout):
                response = await self._http.send(request, stream=True)
            if response.is_success and stream:
                return response
            body = await self._read(response)
            if response.is_success:
                return response
            error, delay = _protocol.failure(response, body, self._token, attempt, deadline)
            if probe or delay is None:
                raise error
            _log.info("inference.retry", url=url, attempt=attempt, reason=type(error).__name__, delay=delay)
            await anyio.sleep(delay)

    async def _read(self, response: httpx.Response) -> bytes:
        try:
            with _protocol.translated(str(response.request.url), self.timeout):
                return await response.aread()
        finally:
            await response.aclose()

    async def _events(self, response: httpx.Response) -> AsyncIterator[Any]:
        """The JSON events of a server-sent stream; closes the response when done or abandoned."""
        if not _protocol.is_event_stream(response):
            raise _protocol.not_a_stream(response, await self._read(response), self._token)
        try:
            with _protocol.translated(str(response.request.url), self.timeout):
                async for line in response.aiter_lines():
                    event = _protocol.decode_sse_line(line)
                    if event is _protocol.DONE:
                        return
                    if event is not None:
                        yield event
        finally:
            await response.aclose()

    async def _post_json(self, path: str, payload: Any) -> Any:
        return _protocol.decode_json((await self._send("POST", path, json=payload)).content)

    # ---------------------------------------------------------------------------------------- tasks

    async def health(self) -> bool:
        """True when the health route answers 2xx. No retry, no wake-up header: a probe, not a request.

        Raises ``InferenceAuthError`` for 401/403 (a bad token is not an unhealthy endpoint); any other
        answer, or no answer, is False.
        """
        try:
            await self._send("GET", self.health_route, probe=True)
        except errors.InferenceAuthError:
            raise
        except errors.InferenceError:
            return False
        return True

    async def get_endpoint_info(self) -> dict[str, Any]:
        """``GET /info`` of a TGI or TEI endpoint."""
        data = _protocol.decode_json((await self._send("GET", "/info")).content)
        if not isinstance(data, dict):
            raise errors.InferenceResponseError("`/info` should answer an object")
        return data

    @overload
    async def text_generation(
        self,
        prompt: str,
        *,
        max_new_tokens: int | None = ...,
        details: Literal[False] = ...,
        stream: Literal[False] = ...,
        **parameters: Any,
    ) -> str: ...
    @overload
    async def text_generation(
        self,
        prompt: str,
        *,
        max_new_tokens: int | None = ...,
        details: Literal[True],
        stream: Literal[False] = ...,
        **parameters: Any,
    ) -> types.TextGenerationOutput: ...
    @overload
    async def text_generation(
        self,
        prompt: str,
        *,
        max_new_tokens: int | None = ...,
        details: Literal[False] = ...,
        stream: Literal[True],
        **parameters: Any,
    ) -> AsyncIterator[str]: ...
    @overload
    async def text_generation(
        self,
        prompt: str,
        *,
        max_new_tokens: int | None = ...,
        details: Literal[True],
        stream: Literal[True],
        **parameters: Any,
    ) -> AsyncIterator[types.TextGenerationStreamOutput]: ...
    @overload
    async def text_generation(
        self, prompt: str, *, max_new_tokens: int | None = ..., details: bool, stream: bool, **parameters: Any
    ) -> (
        str
        | types.TextGenerationOutput
        | AsyncIterator[str]
        | AsyncIterator[types.TextGenerationStreamOutput]
    ): ...

    async def text_generation(
        self,
        prompt: str,
        *,
        max_new_tokens: int | None = None,
        details: bool = False,
        stream: bool = False,
        **parameters: Any,
    ) -> (
        str
        | types.TextGenerationOutput
        | AsyncIterator[str]
        | AsyncIterator[types.TextGenerationStreamOutput]
    ):
        """Generate text from ``prompt`` (``POST /``, TGI parameters such as temperature, top_p, seed, stop).

        Returns the text; with ``details`` a ``TextGenerationOutput``; with ``stream`` an iterator of
        token texts, or of ``TextGenerationStreamOutput`` events with ``details``.
        """
        params = {"max_new_tokens": max_new_tokens, **parameters}
        payload = _protocol.text_generation_payload(prompt, params, details, stream)
        if stream:
            events = self._events(await self._send("POST", "/", json=payload, stream=True))
            if details:
                return (types.parse_text_generation_event(e) async for e in events)
            return (types.parse_text_generation_event(e).token.text async for e in events)
        output = types.parse_text_generation(await self._post_json("/", payload))
        return output if details else output.generated_text

    @overload
    async def chat_completion(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str | None = ...,
        max_tokens: int | None = ...,
        temperature: float | None = ...,
        stream: Literal[False] = ...,
        **parameters: Any,
    ) -> types.ChatCompletionOutput: ...
    @overload
    async def chat_completion(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str | None = ...,
        max_tokens: int | None = ...,
        temperature: float | None = ...,
        stream: Literal[True],
        **parameters: Any,
    ) -> AsyncIterator[types.ChatCompletionStreamOutput]: ...

    async def chat_completion(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stream: bool = False,
        **parameters: Any,
    ) -> types.ChatCompletionOutput | AsyncIterator[types.ChatCompletionStreamOutput]:
        """OpenAI-style chat (``POST /v1/chat/completions``): ``messages`` are ``{"role", "content"}`` dicts.

        Extra keyword arguments (top_p, seed, stop, stream_options, ...) go into the body as they are.
        With ``stream`` the chunks come as they are generated: read ``choices[0].delta.content``.
        """
        params = {"model": model, "max_tokens": max_tokens, "temperature": temperature, **parameters}
        payload = _protocol.chat_payload(messages, params, stream)
        if stream:
            events = self._events(await self._send("POST", "/v1/chat/completions", json=payload, stream=True))
            return (types.parse_chat_completion_chunk(e) async for e in events)
        return types.parse_chat_completion(await self._post_json("/v1/chat/completions", payload))

    @overload
    async def feature_extraction(
        self, text: str, *, normalize: bool | None = ..., truncate: bool | None = ..., **options: Any
    ) -> list[float]: ...
    @overload
    async def feature_extraction(
        self, text: list[str], *, normalize: bool | None = ..., truncate: bool | None = ..., **options: Any
    ) -> list[list[float]]: ...

    async def feature_extraction(
        self,
        text: str | list[str],
        *,
        normalize: bool | None = None,
        truncate: bool | None = None,
        **options: Any,
    ) -> list[float] | list[list[float]]:
        """Embedding of ``text`` (one vector), or of each text of a list (one vector each)."""
        payload = _protocol.embedding_payload(text, {"normalize": normalize, "truncate": truncate, **options})
        return types.parse_embeddings(await self._post_json("/", payload), single=isinstance(text, str))

    async def text_classification(
        self, text: str, *, top_k: int | None = None, function_to_apply: str | None = None
    ) -> list[types.ClassificationOutput]:
        """Labels for ``text`` with their scores, best first."""
        params = {"top_k": top_k, "function_to_apply": function_to_apply}
        payload = _protocol.classification_payload(text, params)
        return types.parse_classification(await self._post_json("/", payload))

    async def post(
        self,
        path: str = "",
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Any other request (``POST {model}{path}``), with the same auth, wake-up, retries and errors.

        Returns the read (and closed) response: use ``.json()``, ``.content`` or ``.headers``.
        """
        return await self._send("POST", path, json=json, content=content, headers=headers)
