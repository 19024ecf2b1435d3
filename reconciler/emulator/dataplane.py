"""The emulator's data plane: what a *running* endpoint's URL answers, deterministically.

Owns: ``handle(view, method, path, headers, body)``: the route table of each serving container an
endpoint can run, the health route, ``/metrics`` and the task-driven ``/`` route. The fake engines
live in ``textgen`` (TGI and OpenAI-style generation) and ``embeddings`` (TEI); shared answers in
``answers``. The same request always gets the same answer (except ``created`` stamps).
Called by: ``proxy``, for ``/e/{id}{path}`` once it has checked auth, existence, the endpoint's
state and the scale-to-zero wake-up. ``path`` is the part after ``/e/{id}``.
Must not: import anything outside the standard library and its sibling engines, keep state, or sleep.

Routes, by image variant family (``custom``, ``huggingface`` and unknown variants serve all of them;
where TGI and TEI share a path, the toolkit answers TGI's):

    GET  {healthRoute}, /health   200 empty body                          every family
    GET  /metrics                 Prometheus text                          tgi, tei, openai
    POST /                        by task                                  tgi, tei, toolkit
    POST /generate, /generate_stream                                        tgi
    POST /v1/chat/completions, /v1/completions; GET /v1/models             tgi, openai
    POST /tokenize; GET /info     TGI's or TEI's shape                      tgi, tei
    POST /embed, /predict, /rerank, /v1/embeddings                          tei

Errors: TGI routes answer ``{"error", "error_type"}`` with a lowercase kind (``validation``); TEI
routes use TEI's ``ErrorType`` (``Validation``, ``Empty``...); TEI's ``/v1/embeddings`` answers
``{"message", "code", "error_type"}``. 400 for a body that is not JSON, 422 for bad fields, 404 /
405 for unknown routes and methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.emulator import answers, embeddings, textgen
from reconciler.emulator.answers import DataPlaneResponse, EndpointView, RequestError

__all__ = ["EMBEDDING_DIM", "DataPlaneResponse", "EndpointView", "handle"]

EMBEDDING_DIM = embeddings.EMBEDDING_DIM
Handler = Callable[[EndpointView, Any], DataPlaneResponse]
Route = tuple[str, Handler, str]  # method, handler, error style

_TGI = frozenset({"tgi", "tgiNeuron"})
_TEI = frozenset({"tei"})
_OPENAI = frozenset({"vLLM", "vLLMNeuron", "vLLMOmni", "sGLang", "llamacpp", "hfServe"})
_TASK_HANDLERS: dict[str, Handler] = {
    "text-generation": textgen.text_generation,
    "text2text-generation": textgen.text_generation,
    "conversational": textgen.text_generation,
    "feature-extraction": embeddings.feature_extraction,
    "sentence-embeddings": embeddings.feature_extraction,
    "text-classification": embeddings.text_classification,
    "sentiment-analysis": embeddings.text_classification,
}


def _family(variant: str) -> str:
    if variant in _TGI:
        return "tgi"
    if variant in _TEI:
        return "tei"
    if variant in _OPENAI:
        return "openai"
    return "toolkit"  # huggingface, custom and anything unknown: serve every route


def _echo(view: EndpointView, payload: Any) -> DataPlaneResponse:
    return answers.json_answer(payload)


def _toolkit_root(view: EndpointView, payload: Any) -> DataPlaneResponse:
    return _TASK_HANDLERS.get(view.task or "", _echo)(view, payload)


def _tgi_root(view: EndpointView, payload: Any) -> DataPlaneResponse:
    return _TASK_HANDLERS.get(view.task or "text-generation", textgen.text_generation)(view, payload)


def _tei_root(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI serves one model: its root embeds or classifies with TEI's own shapes."""
    if embeddings.is_classifier(view.task):
        return embeddings.predict(view, payload)
    return embeddings.embed(view, payload)


def _metrics(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """Prometheus text: the engine's request counter (TGI ``tgi_``, TEI ``te_``) and queue size."""
    prefix = "te" if _family(view.image_variant) == "tei" else "tgi"
    lines = [
        f"# HELP {prefix}_request_count Total number of requests",
        f"# TYPE {prefix}_request_count counter",
        f"{prefix}_request_count {view.served}",
        f"# HELP {prefix}_request_success Number of successful requests",
        f"# TYPE {prefix}_request_success counter",
        f"{prefix}_request_success {view.served}",
        f"# HELP {prefix}_queue_size Current queue size",
        f"# TYPE {prefix}_queue_size gauge",
        f"{prefix}_queue_size 0",
    ]
    body = ("\n".join(lines) + "\n").encode()
    return DataPlaneResponse(200, {"content-type": "text/plain; version=0.0.4"}, body)


_TGI_ROUTES: dict[str, Route] = {
    "/": ("POST", _tgi_root, "tgi"),
    "/generate": ("POST", textgen.generate, "tgi"),
    "/generate_stream": ("POST", textgen.generate_stream, "tgi"),
    "/v1/chat/completions": ("POST", textgen.chat, "tgi"),
    "/v1/completions": ("POST", textgen.completions, "tgi"),
    "/v1/models": ("GET", textgen.models, "tgi"),
    "/tokenize": ("POST", textgen.tokenize, "tgi"),
    "/info": ("GET", textgen.info, "tgi"),
    "/metrics": ("GET", _metrics, "tgi"),
}
_TEI_ROUTES: dict[str, Route] = {
    "/": ("POST", _tei_root, "tei"),
    "/embed": ("POST", embeddings.embed, "tei"),
    "/predict": ("POST", embeddings.predict, "tei"),
    "/rerank": ("POST", embeddings.rerank, "tei"),
    "/v1/embeddings": ("POST", embeddings.openai_embeddings, "tei-openai"),
    "/tokenize": ("POST", embeddings.tokenize, "tei"),
    "/info": ("GET", embeddings.info, "tei"),
    "/metrics": ("GET", _metrics, "tei"),
}
_OPENAI_ROUTES: dict[str, Route] = {
    "/v1/chat/completions": ("POST", textgen.chat, "tgi"),
    "/v1/completions": ("POST", textgen.completions, "tgi"),
    "/v1/models": ("GET", textgen.openai_models, "tgi"),
    "/metrics": ("GET", _metrics, "tgi"),
}
_TOOLKIT_ROUTES: dict[str, Route] = {**_TEI_ROUTES, **_TGI_ROUTES, "/": ("POST", _toolkit_root, "tgi")}
_ROUTES = {"tgi": _TGI_ROUTES, "tei": _TEI_ROUTES, "openai": _OPENAI_ROUTES, "toolkit": _TOOLKIT_ROUTES}


def handle(
    view: EndpointView, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> DataPlaneResponse:
    """Answer one request to a running endpoint. Never raises for bad input: it answers 4xx instead."""
    del headers  # auth and wake-up headers were the proxy's business
    path = path.split("?", 1)[0] or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    method = method.upper()
    family = _family(view.image_variant)
    if method in ("GET", "HEAD") and (
        path == view.health_route or (path == "/health" and family != "toolkit")
    ):
        return DataPlaneResponse(200, {"content-length": "0"}, b"")
    route = _ROUTES[family].get(path)
    if route is None:
        return answers.error(404, f"no route {path} on a {view.image_variant} endpoint")
    allowed, handler, style = route
    if method != allowed:
        headers_405 = {"content-type": "application/json", "allow": allowed}
        return DataPlaneResponse(405, headers_405, answers.dumps({"error": "Method Not Allowed"}))
    try:
        payload = answers.parse_json(body) if method == "POST" else None
        return handler(view, payload)
    except RequestError as exc:
        return answers.error(exc.status, exc.message, style)
