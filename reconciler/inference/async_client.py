"""The asynchronous inference client for one endpoint URL (httpx).

Owns: ``AsyncInferenceClient``: health, text generation (TGI, streamed or not), chat completion (OpenAI
messages API), feature extraction, text classification, raw ``post`` and ``get``. One call = one request,
retried by tenacity while the endpoint is starting or waking from zero, within ``timeout`` and under
the size limits of ``_protocol``. A stream is handed back once its request (retries included)
succeeded; its events are read as the caller iterates.
Generated twin: ``scripts/gen_sync_client.py`` writes ``client.py`` (sync) from ``async_client.py``
(async, the source): edit the source only, then run the script; a test fails while they disagree.
Called by: the smoke command (sync form), library users with an event loop (async form), and tests.
Must not: log or show the token; it goes in the Authorization header and nowhere else.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Literal, overload

import httpx
import tenacity

from reconciler import logs
from reconciler.inference import _protocol, errors, types

__all__ = ["AsyncInferenceClient"]


class AsyncInferenceClient:
    """A thin client for a deployed endpoint, in the spirit of huggingface_hub's ``InferenceClient``.

    ``model`` is the endpoint URL (``status.url``). ``timeout`` (seconds) bounds each call as a whole:
    every attempt, the waits between them, and the reading of the answer, a stream's included (an
    answer still arriving at the deadline raises ``InferenceTimeoutError``); None waits forever and
    never retries. ``max_response_bytes`` bounds the decoded answer (a stream's events together);
    past it, ``InferenceResponseTooLargeError``. ``scale_up_timeout`` is sent as
    ``X-Scale-Up-Timeout`` so that a scaled-to-zero endpoint holds the request while a replica
    starts: None/True use ``timeout``, False turns it off. Pass ``transport`` (tests, the in-process
    emulator) or a ready ``http`` client (not closed by ``aclose()``). ``sleep`` (the wait between
    retries) and ``clock`` (monotonic seconds, for the budget) are injectable so tests never wait.

    A slow trickle (each read just inside the time left) is cut at the first chunk after the
    deadline: a call ends within twice ``timeout`` at worst, and within ``timeout`` for any server
    that sends nothing, or sends steadily.
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
        max_response_bytes: int = _protocol.MAX_RESPONSE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        http: httpx.AsyncClient | None = None,
        sleep: _protocol.AsyncSleep | None = None,
        clock: _protocol.Clock = time.monotonic,
    ) -> None:
        if transport is not None and http is not None:
            raise ValueError("pass either `transport` or `http`, not both")
        self.model = model.rstrip("/")
        self.timeout = timeout
        self.health_route = "/" + health_route.lstrip("/")
        self.max_response_bytes = max_response_bytes
        self._token = token
        self._headers = dict(headers or {})
        self._scale_up = _protocol.scale_up_seconds(scale_up_timeout, timeout)
        self._sleep = sleep
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(transport=transport, timeout=timeout)
        logs.register_secret(token)

    def __repr__(self) -> str:
        token = "***" if self._token else None
        return f"{type(self).__name__}(model={self.model!r}, timeout={self.timeout!r}, token={token!r})"

    async def __aenter__(self) -> AsyncInferenceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
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
        deadline: _protocol.Deadline | None = None,
        stream: bool = False,
        probe: bool = False,
    ) -> httpx.Response:
        """One call: send, and resend (tenacity) while the endpoint is coming up and the budget lasts.

        A ``probe`` is sent once, without the wake-up header. The returned response is read and closed,
        unless ``stream``: then it is open and ``_events`` reads and closes it.
        """
        url = self._url(path)
        deadline = deadline or _protocol.Deadline(self.timeout, url, self._clock)
        scale_up = None if probe else self._scale_up

        async def attempt() -> httpx.Response:
            deadline.attempts += 1
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
            if response.is_success:
                body = await self._read(response, deadline, self.max_response_bytes)
                return _protocol.read_response(response, body)
            body = await self._read(response, deadline, _protocol.ERROR_BODY_BYTES, truncate=True)
            raise _protocol.failure(response, body, self._token, deadline)

        if probe:
            return await attempt()
        retrying = tenacity.AsyncRetrying(**_protocol.retry_options(deadline, self._sleep))
        response: httpx.Response = await retrying(attempt)
        return response

    async def _read(
        self, response: httpx.Response, deadline: _protocol.Deadline, limit: int, truncate: bool = False
    ) -> bytes:
        """The decoded body, chunk by chunk under the deadline and ``limit``; closes the response."""
        intake = _protocol.Intake(deadline, limit, truncate)
        try:
            with _protocol.translated(deadline.url, self.timeout):
                async for chunk in response.aiter_bytes():
                    if not intake.add(chunk):
                        break
        finally:
            await response.aclose()
        return intake.content()

    async def _stream(self, path: str, payload: Any) -> AsyncIterator[Any]:
        """Send ``payload`` for a stream; the events that come back, under the call's one deadline."""
        deadline = _protocol.Deadline(self.timeout, self._url(path), self._clock)
        response = await self._send("POST", path, json=payload, deadline=deadline, stream=True)
        return self._events(response, deadline)

    async def _events(self, response: httpx.Response, deadline: _protocol.Deadline) -> AsyncIterator[Any]:
        """The JSON events of a server-sent stream; closes the response when done or abandoned."""
        if not _protocol.is_event_stream(response):
            body = await self._read(response, deadline, _protocol.ERROR_BODY_BYTES, truncate=True)
            raise _protocol.not_a_stream(response, body, self._token)
        lines = _protocol.Lines(deadline, self.max_response_bytes)
        try:
            with _protocol.translated(deadline.url, self.timeout):
                async for chunk in response.aiter_bytes():
                    for line in lines.feed(chunk):
                        event = _protocol.decode_sse_line(line, deadline.url, self._token)
                        if event is _protocol.DONE:
                            return
                        if event is not None:
                            yield event
                for line in lines.rest():
                    event = _protocol.decode_sse_line(line, deadline.url, self._token)
                    if event is not None and event is not _protocol.DONE:
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
            events = await self._stream("/", payload)
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
            events = await self._stream("/v1/chat/completions", payload)
            return (types.parse_chat_completion_chunk(e) async for e in events)
        return types.parse_chat_completion(await self._post_json("/v1/chat/completions", payload))

    async def feature_extraction(
        self,
        text: str | Sequence[str],
        *,
        normalize: bool | None = None,
        truncate: bool | None = None,
        **options: Any,
    ) -> list[list[float]]:
        """Embeddings of ``text``: one row per text, so ``(1, n)`` for one string, as in huggingface_hub.

        huggingface_hub returns a numpy array of the endpoint's JSON; we have no numpy dependency, so
        the same shape comes as a list of rows (``result[0]`` is the vector of one string). TEI answers
        ``(1, n)`` for one string; the inference toolkit answers a flat ``(n,)``, which hub passes
        through as it is and we wrap in one row, so the shape never depends on the server.
        """
        payload = _protocol.embedding_payload(text, {"normalize": normalize, "truncate": truncate, **options})
        count = 1 if isinstance(text, str) else len(text)
        return types.parse_embeddings(await self._post_json("/", payload), count=count)

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

    async def get(self, path: str = "", *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """Any GET (``GET {model}{path}``), with the same auth, wake-up, retries and errors as ``post``.

        Unlike ``health``, a non-2xx answer raises (with its ``status``), so a caller can tell a 404
        from a 503; smoke probes of the health route use it for that.
        """
        return await self._send("GET", path, headers=headers)
