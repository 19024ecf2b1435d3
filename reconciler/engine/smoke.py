"""Smoke tests after deploy: a deploy is only done when the endpoint answers.

Owns: ``SmokeResult``, the default probe of each task, ``run`` (concurrent probes through the
InferenceClient) and the result table. Called by: ``hfleet smoke`` and ``hfleet apply --smoke``.
Must not: change any endpoint, or send the token in clear text: a ``status.url`` in plain http to a
host other than this machine is refused (the probe fails with the reason) unless the caller allows
insecure http. Endpoints that are paused, off by schedule, missing or in conflict are skipped with
the reason; a scaled-to-zero endpoint is woken (``X-Scale-Up-Timeout``).

``expect_status`` of the spec's ``smoke``: 2xx (200 by default) means "a successful answer", which
the answer checks (``expect_contains``, ``expect_label``, ``non_empty``) then judge; any other status
means the probe must be refused with exactly that HTTP status, and the answer checks are skipped. A
probe expecting 401 is sent without the token: it checks that the endpoint turns strangers away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from reconciler import logs
from reconciler.api import client as api_client
from reconciler.engine import desired as desired_mod
from reconciler.engine import live
from reconciler.inference import errors as inference_errors
from reconciler.inference.client import InferenceClient
from reconciler.net import urls
from reconciler.spec import loader
from reconciler.spec import models as spec_models
from reconciler.wire import ownership, record

__all__ = ["SmokeResult", "probe", "run", "table", "to_json"]

log = logs.get_logger(__name__)
_OPENAI_STYLE = ("vllm", "vllm_neuron", "sglang", "llamacpp", "hf_serve")
_DEFAULT_INPUTS = {
    "text-generation": "Hello, my name is",
    "chat-completion": "Say hello in one word.",
    "feature-extraction": "The quick brown fox jumps over the lazy dog.",
    "sentence-embeddings": "The quick brown fox jumps over the lazy dog.",
    "text-classification": "I love this product!",
}


@dataclass(frozen=True)
class SmokeResult:
    namespace: str
    name: str
    status: str  # passed | failed | skipped
    reason: str
    task: str | None = None
    latency_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def data(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "task": self.task,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
        }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _task(spec: spec_models.EndpointSpec) -> str:
    """The call a probe makes: the smoke task, else the endpoint's (chat for OpenAI-style servers)."""
    smoke = spec.smoke or spec_models.SmokeSpec()
    task = smoke.task or spec.task or "health"
    openai_style = spec.image is not None and spec.image.variant in _OPENAI_STYLE
    if smoke.task is None and task == "text-generation" and openai_style:
        task = "chat-completion"  # vLLM, SGLang, llama.cpp and hf-serve answer the messages API, not `/`
    return task


def _call(spec: spec_models.EndpointSpec, task: str, client: InferenceClient) -> str:
    """Send the endpoint's probe; returns the answer as text. Raises the client's errors."""
    smoke = spec.smoke or spec_models.SmokeSpec()
    given = smoke.input if smoke.input is not None else _DEFAULT_INPUTS.get(task, "Hello")
    text = given if isinstance(given, str) else _text(given)
    if task == "text-generation":
        return _text(
            client.text_generation(text, max_new_tokens=int(smoke.parameters.get("max_new_tokens", 16)))
        )
    if task in ("chat-completion", "conversational"):
        result = client.chat_completion(
            [{"role": "user", "content": text}], max_tokens=int(smoke.parameters.get("max_tokens", 32))
        )
        return result.choices[0].message.content or ""
    if task in ("feature-extraction", "sentence-embeddings", "sentence-similarity"):
        rows = client.feature_extraction(text)
        return "" if not rows or not rows[0] else f"vector of {len(rows[0])}"
    if task in ("text-classification", "sentiment-analysis", "zero-shot-classification"):
        labels = client.text_classification(text)
        return labels[0].label if labels else ""
    client.get(client.health_route)  # unlike health(), a refusal raises with its status (expect_status)
    return "healthy"


def probe(spec: spec_models.EndpointSpec, client: InferenceClient) -> tuple[bool, str, str, float]:
    """Run one endpoint's probe and judge it. Returns (passed, reason, task, latency in ms).

    Raises the client's errors, except the HTTP refusal a non-2xx ``expect_status`` asks for.
    """
    smoke = spec.smoke or spec_models.SmokeSpec()
    expected = smoke.expect_status
    refusal_expected = not 200 <= expected < 300
    task = _task(spec)
    started = time.perf_counter()
    try:
        answer = _call(spec, task, client)
    except inference_errors.InferenceHTTPError as exc:
        if not refusal_expected:
            raise
        latency = (time.perf_counter() - started) * 1000
        if exc.status == expected:
            return True, f"refused with HTTP {exc.status}, as expected", task, latency
        return False, f"expected HTTP {expected}, got {exc.status}: {exc}", task, latency
    latency = (time.perf_counter() - started) * 1000
    if refusal_expected:
        return False, f"expected HTTP {expected}, got a successful answer", task, latency
    return _judge(smoke, task, answer, latency)


def _judge(
    smoke: spec_models.SmokeSpec, task: str, answer: str, latency: float
) -> tuple[bool, str, str, float]:
    """The answer checks of a successful probe, in the order a reader expects them."""
    if smoke.expect_label is not None and answer != smoke.expect_label:
        return False, f"expected label {smoke.expect_label!r}, got {answer!r}", task, latency
    if smoke.non_empty and not answer.strip():
        return False, "empty answer", task, latency
    if smoke.expect_contains is not None and smoke.expect_contains not in answer:
        return False, f"answer does not contain {smoke.expect_contains!r}", task, latency
    if smoke.max_latency_ms is not None and latency > smoke.max_latency_ms:
        return False, f"took {latency:.0f} ms, over the {smoke.max_latency_ms} ms budget", task, latency
    shown = answer if len(answer) <= 40 else answer[:37] + "..."
    return True, f"answered {shown!r}", task, latency


@dataclass(frozen=True)
class _Caller:
    """How every probe of one run calls its endpoint."""

    token: str | None
    timeout: float
    http: httpx.Client | None
    allow_insecure_http: bool


def run(
    fleet: loader.Fleet,
    api: api_client.EndpointsApi,
    *,
    targets: Iterable[str] | None = None,
    http: httpx.Client | None = None,
    token: str | None = None,
    timeout: float = 120.0,
    now: datetime | None = None,
    parallelism: int = 8,
    allow_insecure_http: bool = False,
) -> list[SmokeResult]:
    """Probe the fleet's endpoints concurrently; skip those that are not meant to be up.

    The token goes only to https URLs, or plain http to loopback; ``allow_insecure_http`` (the CLI's
    ``--insecure-http``) lifts that for a trusted network. A refused URL fails its probe, with why.
    """
    at = now or datetime.now(UTC)
    wanted = set(targets) if targets else None
    specs = [e for e in fleet.endpoints if wanted is None or e.name in wanted]
    if not specs:
        return []
    current = live.fetch(api, {fleet.namespace_of(e) for e in specs})
    caller = _Caller(token, timeout, http, allow_insecure_http)

    def one(spec: spec_models.EndpointSpec) -> SmokeResult:
        ns = fleet.namespace_of(spec)
        have = current.get((ns, spec.name))
        why = _skip_reason(fleet, spec, have, at)
        if why is not None or have is None:
            return SmokeResult(ns, spec.name, "skipped", why or "not deployed")
        return _smoke(ns, spec, have, caller)

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(specs)))) as pool:
        return list(pool.map(logs.carry(one), specs))


def _skip_reason(
    fleet: loader.Fleet, spec: spec_models.EndpointSpec, have: record.EndpointRecord | None, at: datetime
) -> str | None:
    """Why this endpoint is not probed (not meant to answer now), or None to probe it."""
    if spec.smoke is not None and not spec.smoke.enabled:
        return "smoke disabled in the spec"
    if have is None:
        return "not deployed"
    if ownership.owner_of(have.tags) != fleet.name:
        return "not owned by this fleet"
    since = desired_mod.grace_from(have.state, have.last_change, at)
    power, why, _, _ = desired_mod.power_at(fleet, spec, at, since)
    if power is spec_models.PowerState.PAUSED or have.state == "paused":
        return "paused" if have.state == "paused" else f"off ({why})"
    if power is spec_models.PowerState.SCALED_TO_ZERO and have.state == "scaledToZero":
        return f"scaled to zero ({why})"
    return None


def _smoke(
    ns: str, spec: spec_models.EndpointSpec, have: record.EndpointRecord, caller: _Caller
) -> SmokeResult:
    """Probe one endpoint that should answer: its URL must be safe for the token, then ``probe``."""
    if have.url is None:
        return SmokeResult(ns, spec.name, "failed", f"no URL (state {have.state})")
    try:
        urls.require_secure(have.url, allow_insecure_http=caller.allow_insecure_http, what="endpoint URL")
    except urls.InsecureUrl as exc:
        return SmokeResult(ns, spec.name, "failed", str(exc))
    smoke = spec.smoke or spec_models.SmokeSpec()
    sent = None if smoke.expect_status == 401 else caller.token  # a 401 probe checks strangers are refused
    timeout = min(caller.timeout, smoke.timeout_s)
    route = have.health_route or "/health"
    client = InferenceClient(have.url, token=sent, timeout=timeout, http=caller.http, health_route=route)
    try:
        passed, reason, task, latency = probe(spec, client)
    except inference_errors.InferenceError as exc:
        return SmokeResult(ns, spec.name, "failed", logs.redact(str(exc)))
    except httpx.HTTPError as exc:
        return SmokeResult(ns, spec.name, "failed", logs.redact(f"{type(exc).__name__}: {exc}"))
    reason = logs.redact(reason)
    result = SmokeResult(ns, spec.name, "passed" if passed else "failed", reason, task, latency)
    log.info("smoke.result", endpoint=spec.name, status=result.status, reason=reason)
    return result


def table(results: list[SmokeResult]) -> str:
    """A plain table: one row per endpoint, then a summary line."""
    width = max((len(f"{r.namespace}/{r.name}") for r in results), default=8)
    lines = [f"{'ENDPOINT'.ljust(width)}  {'RESULT':<7}  {'LATENCY':>8}  REASON"]
    for r in results:
        latency = f"{r.latency_ms:.0f}ms" if r.latency_ms is not None else "-"
        lines.append(f"{f'{r.namespace}/{r.name}'.ljust(width)}  {r.status:<7}  {latency:>8}  {r.reason}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("passed", "failed", "skipped")}
    lines.append(f"Smoke: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped.")
    return "\n".join(lines)


def to_json(results: list[SmokeResult]) -> str:
    return json.dumps({"ok": all(r.ok for r in results), "results": [r.data() for r in results]}, indent=2)
