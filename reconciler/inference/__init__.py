"""A thin inference client for deployed endpoints (sync and async), with typed errors.

Owns: the public surface re-exported below; the modules are ``client``, ``async_client``, ``types``
and ``errors`` (the error tree is drawn in ``errors``' docstring). ``_protocol`` is shared plumbing.
Called by: the smoke command (``reconciler.engine.smoke``) and tests; talks to the emulator's data plane too.
Must not: import other rooms of the reconciler beyond ``errors`` and ``logs``.
"""

from __future__ import annotations

from reconciler.inference.async_client import AsyncInferenceClient
from reconciler.inference.client import InferenceClient
from reconciler.inference.errors import (
    EndpointFailedError,
    EndpointNotReadyError,
    EndpointPausedError,
    EndpointScaledToZeroError,
    EndpointStartingError,
    InferenceAuthError,
    InferenceConnectionError,
    InferenceError,
    InferenceHTTPError,
    InferenceResponseError,
    InferenceTimeoutError,
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
    "InferenceAuthError",
    "InferenceClient",
    "InferenceConnectionError",
    "InferenceError",
    "InferenceHTTPError",
    "InferenceResponseError",
    "InferenceTimeoutError",
    "TextGenerationDetails",
    "TextGenerationOutput",
    "TextGenerationStreamDetails",
    "TextGenerationStreamOutput",
    "Token",
]
