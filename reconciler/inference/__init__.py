"""A thin inference client for deployed endpoints (sync and async), with typed errors.

Owns: the public surface re-exported below; the modules are ``async_client`` (the source),
``client`` (generated from it by ``scripts/gen_sync_client.py``), ``types`` and ``errors`` (the error
tree is drawn in ``errors``' docstring, with the huggingface_hub classes it mirrors). ``_protocol``
is shared plumbing: payloads, retries (tenacity), limits.
Called by: the smoke command (``reconciler.engine.smoke``) and tests; talks to the emulator's data plane too.
Must not: import other rooms of the reconciler beyond ``errors``, ``logs`` and ``net``.
"""

from __future__ import annotations

from reconciler.inference.async_client import AsyncInferenceClient
from reconciler.inference.client import InferenceClient
from reconciler.inference.errors import (
    BadRequestError,
    EndpointFailedError,
    EndpointNotReadyError,
    EndpointPausedError,
    EndpointScaledToZeroError,
    EndpointStartingError,
    GenerationError,
    IncompleteGenerationError,
    InferenceAuthError,
    InferenceConnectionError,
    InferenceError,
    InferenceHTTPError,
    InferenceResponseError,
    InferenceResponseTooLargeError,
    InferenceTimeoutError,
    OverloadedError,
    TextGenerationError,
    ValidationError,
)
from reconciler.inference.types import (
    ChatCompletionChoice,
    ChatCompletionDelta,
    ChatCompletionOutput,
    ChatCompletionStreamChoice,
    ChatCompletionStreamOutput,
    ChatCompletionUsage,
    ChatMessage,
    ClassificationOutput,
    TextGenerationDetails,
    TextGenerationOutput,
    TextGenerationStreamDetails,
    TextGenerationStreamOutput,
    Token,
)

__all__ = [
    "AsyncInferenceClient",
    "BadRequestError",
    "ChatCompletionChoice",
    "ChatCompletionDelta",
    "ChatCompletionOutput",
    "ChatCompletionStreamChoice",
    "ChatCompletionStreamOutput",
    "ChatCompletionUsage",
    "ChatMessage",
    "ClassificationOutput",
    "EndpointFailedError",
    "EndpointNotReadyError",
    "EndpointPausedError",
    "EndpointScaledToZeroError",
    "EndpointStartingError",
    "GenerationError",
    "IncompleteGenerationError",
    "InferenceAuthError",
    "InferenceClient",
    "InferenceConnectionError",
    "InferenceError",
    "InferenceHTTPError",
    "InferenceResponseError",
    "InferenceResponseTooLargeError",
    "InferenceTimeoutError",
    "OverloadedError",
    "TextGenerationDetails",
    "TextGenerationError",
    "TextGenerationOutput",
    "TextGenerationStreamDetails",
    "TextGenerationStreamOutput",
    "Token",
    "ValidationError",
]
