"""The fake embedding engine: TEI's routes over toy models (hash embeddings, keyword sentiment, overlap
reranking).

Owns: the answers of ``/embed``, ``/predict``, ``/rerank``, ``/v1/embeddings``, TEI's
``/tokenize`` and ``/info``, and the toolkit's feature-extraction and classification tasks.
Vectors: 384 dimensions from a hash of the text, unit length unless ``normalize: false``. Shapes
follow TEI's docs/openapi.json (stored in tests/data/openapi/ with its source). Called by:
``dataplane``. Must not: import anything outside the standard library, keep state, or sleep.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from typing import Any

from reconciler.emulator import answers
from reconciler.emulator.answers import DataPlaneResponse, EndpointView, RequestError

__all__ = [
    "EMBEDDING_DIM",
    "embed",
    "feature_extraction",
    "info",
    "is_classifier",
    "openai_embeddings",
    "predict",
    "rerank",
    "text_classification",
    "tokenize",
]

EMBEDDING_DIM = 384
MAX_INPUT_LENGTH = 512
_CLASSIFIER_TASKS = frozenset({"text-classification", "sentiment-analysis"})
_RERANKER_TASKS = frozenset({"sentence-ranking", "text-ranking"})
_LABELS = {"0": "NEGATIVE", "1": "POSITIVE"}


def is_classifier(task: str | None) -> bool:
    return task in _CLASSIFIER_TASKS


def _embedding(text: str, normalize: bool, dimensions: int | None) -> list[float]:
    raw = hashlib.shake_256(text.encode("utf-8")).digest(2 * EMBEDDING_DIM)
    vector = [int.from_bytes(raw[i : i + 2], "big") / 32767.5 - 1.0 for i in range(0, len(raw), 2)]
    vector = vector[: dimensions or EMBEDDING_DIM]
    if normalize:
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        vector = [v / norm for v in vector]
    return vector


def _texts(value: Any, field: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(i, str) for i in value):
        return list(value)
    raise RequestError(
        422, f"Failed to deserialize the JSON body: `{field}` must be a string or a non-empty list of strings"
    )


def _text_inputs(payload: Any) -> tuple[str | list[str], dict[str, Any]]:
    """``inputs`` (a string or a list of strings) and the options, at the root or under ``parameters``."""
    payload = answers.require_object(payload)
    inputs = payload.get("inputs")
    _texts(inputs, "inputs")
    options = {k: v for k, v in payload.items() if k not in ("inputs", "parameters")}
    return inputs, {**options, **answers.parameters(payload)}


def _dimensions(options: dict[str, Any]) -> int | None:
    dimensions = answers.optional_int(options, "dimensions", 1)
    if dimensions is not None and dimensions > EMBEDDING_DIM:
        raise RequestError(422, f"Input validation error: `dimensions` must be <= {EMBEDDING_DIM}")
    return dimensions


def _embed(payload: Any) -> tuple[str | list[str], list[list[float]]]:
    inputs, options = _text_inputs(payload)
    dimensions = _dimensions(options)
    normalize = options.get("normalize") is not False
    return inputs, [_embedding(t, normalize, dimensions) for t in _texts(inputs, "inputs")]


def feature_extraction(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """The toolkit's answer: one vector for a string, a list of vectors for a list."""
    inputs, vectors = _embed(payload)
    return answers.json_answer(vectors[0] if isinstance(inputs, str) else vectors)


def embed(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/embed`` (and TEI's ``/``): always a list of vectors."""
    return answers.json_answer(_embed(payload)[1])


def openai_embeddings(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/v1/embeddings``: an OpenAI list; ``encoding_format: base64`` packs float32 LE."""
    payload = answers.require_object(payload)
    texts = _texts(payload.get("input"), "input")
    dimensions = _dimensions(payload)
    encoding = payload.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise RequestError(
            422, "Failed to deserialize the JSON body: `encoding_format` must be float or base64"
        )
    data = []
    for i, text in enumerate(texts):
        vector = _embedding(text, True, dimensions)
        packed: Any = vector
        if encoding == "base64":
            packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "embedding": packed, "index": i})
    tokens = sum(len(answers.tokenize(t)) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return answers.json_answer({"object": "list", "data": data, "model": view.repository, "usage": usage})


_POSITIVE = frozenset(
    [
        "love",
        "loved",
        "loves",
        "like",
        "great",
        "good",
        "excellent",
        "amazing",
        "awesome",
        "wonderful",
        "fantastic",
        "happy",
        "best",
        "nice",
        "perfect",
        "superb",
        "brilliant",
        "enjoy",
        "enjoyed",
        "recommend",
        "delightful",
        "pleased",
    ]
)
_NEGATIVE = frozenset(
    [
        "hate",
        "hated",
        "hates",
        "terrible",
        "awful",
        "bad",
        "worst",
        "horrible",
        "poor",
        "sad",
        "disappointing",
        "disappointed",
        "broken",
        "useless",
        "angry",
        "boring",
        "refund",
        "annoying",
        "ugly",
        "slow",
        "waste",
    ]
)
_WORD_RE = re.compile(r"[a-z']+")


def _sentiment(text: str) -> list[dict[str, Any]]:
    """POSITIVE/NEGATIVE from keywords, sorted by score; a hash adds a small, stable jitter."""
    words = _WORD_RE.findall(text.lower())
    balance = sum(w in _POSITIVE for w in words) - sum(w in _NEGATIVE for w in words)
    jitter = (answers.digest(text)[0] / 255 - 0.5) * 0.5
    positive = round(1 / (1 + math.exp(-(4.0 * balance + jitter))), 6)
    scores = [
        {"label": "POSITIVE", "score": positive},
        {"label": "NEGATIVE", "score": round(1 - positive, 6)},
    ]
    return sorted(scores, key=lambda s: s["score"], reverse=True)


def _classify(payload: Any) -> tuple[str | list[str], list[list[dict[str, Any]]]]:
    inputs, options = _text_inputs(payload)
    top_k = answers.optional_int(options, "top_k", 1)
    return inputs, [_sentiment(t)[:top_k] for t in _texts(inputs, "inputs")]


def text_classification(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """Like the serverless Inference API: a list of label lists, one per input (even for one string)."""
    return answers.json_answer(_classify(payload)[1])


def predict(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/predict``: a flat list for one string, a list of lists for a batch."""
    inputs, results = _classify(payload)
    return answers.json_answer(results[0] if isinstance(inputs, str) else results)


def _relevance(query: str, text: str, raw: bool) -> float:
    """Word overlap between query and text, squashed to (0, 1) unless ``raw_scores``."""
    mine, theirs = set(_WORD_RE.findall(query.lower())), set(_WORD_RE.findall(text.lower()))
    overlap = len(mine & theirs) / (len(mine) or 1)
    logit = 6.0 * overlap - 3.0 + (answers.digest(query, text)[0] / 255 - 0.5) * 0.2
    return round(logit if raw else 1 / (1 + math.exp(-logit)), 6)


def rerank(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/rerank``: ``[{index, score, text?}]``, best first."""
    payload = answers.require_object(payload)
    query = payload.get("query")
    if not isinstance(query, str) or not query:
        raise RequestError(422, "Failed to deserialize the JSON body: missing field `query` (a string)")
    texts = _texts(payload.get("texts"), "texts")
    raw = payload.get("raw_scores") is True
    with_text = payload.get("return_text") is True
    ranks: list[dict[str, Any]] = [
        {"index": i, "score": _relevance(query, t, raw), **({"text": t} if with_text else {})}
        for i, t in enumerate(texts)
    ]
    return answers.json_answer(sorted(ranks, key=lambda r: (-float(r["score"]), int(r["index"]))))


def tokenize(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/tokenize``: one token list per input, with ``[CLS]``/``[SEP]`` unless
    ``add_special_tokens: false``."""
    payload = answers.require_object(payload)
    special = payload.get("add_special_tokens") is not False
    out = []
    for text in _texts(payload.get("inputs"), "inputs"):
        tokens: list[dict[str, Any]] = [
            {"id": t.id, "text": t.text, "special": False, "start": t.start, "stop": t.stop}
            for t in answers.tokenize(text)
        ]
        if special:
            tokens = [
                {"id": 101, "text": "[CLS]", "special": True, "start": None, "stop": None},
                *tokens,
                {"id": 102, "text": "[SEP]", "special": True, "start": None, "stop": None},
            ]
        out.append(tokens)
    return answers.json_answer(out)


def _model_type(task: str | None) -> dict[str, Any]:
    classifier = {"id2label": dict(_LABELS), "label2id": {v: int(k) for k, v in _LABELS.items()}}
    if task in _CLASSIFIER_TASKS:
        return {"classifier": classifier}
    if task in _RERANKER_TASKS:
        return {"reranker": {"id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}}
    return {"embedding": {"pooling": "mean"}}


def info(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/info``."""
    return answers.json_answer(
        {
            "model_id": view.repository,
            "model_sha": None,
            "model_dtype": "float32",
            "served_model_name": view.repository,
            "model_type": _model_type(view.task),
            "max_concurrent_requests": 512,
            "max_input_length": MAX_INPUT_LENGTH,
            "max_batch_tokens": 16384,
            "max_batch_requests": None,
            "max_client_batch_size": 32,
            "auto_truncate": False,
            "tokenization_workers": 2,
            "version": "emulated",
            "sha": None,
            "docker_label": None,
        }
    )
