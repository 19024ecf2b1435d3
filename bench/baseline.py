"""The baseline: what a script using huggingface_hub's official client does, one endpoint at a time.

As the client's documentation shows it: ``get_inference_endpoint`` for each endpoint of the spec,
``create_inference_endpoint`` on a 404, ``update_inference_endpoint`` when ``max_replica`` differs,
``pause_inference_endpoint`` / ``resume_inference_endpoint`` when the power state differs, and for the
prune phase ``delete_inference_endpoint`` for each name the script knew from the previous spec.

Why not discover orphans with ``list_inference_endpoints``? In huggingface_hub 2.4.0 it sends one
``GET /endpoint/{ns}`` and returns that page's ``items``: it does not follow ``nextCursor``, so beyond
the first page (20 by default) a stateless script cannot see what to prune. The baseline is therefore
given the removed names (it remembers the previous spec), which only flatters it.

Sequential by construction (the documented usage); the same desired state as hfleet's specs
(``bench.specs.desired``), in the same emulator, on a fresh namespace state.
"""

from __future__ import annotations

from typing import Any

from bench import specs

__all__ = ["TOKEN", "run"]

TOKEN = "hf_emulator"
TAG = "baseline:bench"


def _client(url: str, counter: Any) -> Any:
    from huggingface_hub import HfApi, constants
    from huggingface_hub.utils import _detect_agent, _http

    constants.INFERENCE_ENDPOINTS_ENDPOINT = url + "/v2"  # read at call time
    constants.ENDPOINT = url  # loopback only: nothing may reach huggingface.co
    # The User-Agent header asks the Hub for its registry of AI agent harnesses on the first call
    # (best-effort, up to 3 s): not part of the endpoint calls measured, so it is pre-empted.
    _detect_agent._registry = _detect_agent._EMPTY_REGISTRY

    def factory() -> Any:
        client = _http.default_client_factory()
        counter.install(client)
        return client

    _http.set_client_factory(factory)
    return HfApi()


def run(url: str, n: int, phase: str, counter: Any) -> dict[str, Any]:
    """Bring the namespace to ``phase``'s desired state; return what was done."""
    from huggingface_hub.errors import HfHubHTTPError

    api = _client(url, counter)
    ns = specs.NAMESPACE
    done = {"created": 0, "updated": 0, "paused": 0, "resumed": 0, "deleted": 0, "unchanged": 0}
    for want in specs.desired(n, phase):
        try:
            endpoint = api.get_inference_endpoint(want.name, namespace=ns, token=TOKEN)
        except HfHubHTTPError as exc:
            if exc.response is None or exc.response.status_code != 404:
                raise
            api.create_inference_endpoint(
                want.name,
                repository=specs.REPOSITORY,
                framework="pytorch",
                task="text-classification",
                accelerator="cpu",
                vendor="aws",
                region="us-east-1",
                instance_type="intel-spr",
                instance_size="x1",
                min_replica=1,
                max_replica=want.max_replica,
                tags=[TAG],
                namespace=ns,
                token=TOKEN,
            )
            done["created"] += 1
            if want.paused:
                api.pause_inference_endpoint(want.name, namespace=ns, token=TOKEN)
                done["paused"] += 1
            continue
        changed = False
        if endpoint.raw["compute"]["scaling"]["maxReplica"] != want.max_replica:
            api.update_inference_endpoint(want.name, max_replica=want.max_replica, namespace=ns, token=TOKEN)
            done["updated"] += 1
            changed = True
        if want.paused and endpoint.status != "paused":
            api.pause_inference_endpoint(want.name, namespace=ns, token=TOKEN)
            done["paused"] += 1
            changed = True
        elif not want.paused and endpoint.status == "paused":
            api.resume_inference_endpoint(want.name, namespace=ns, token=TOKEN)
            done["resumed"] += 1
            changed = True
        if not changed:
            done["unchanged"] += 1
    if phase == "prune":
        before = {d.name for d in specs.desired(n, "drift")}
        after = {d.name for d in specs.desired(n, "prune")}
        for name in sorted(before - after):
            try:
                api.delete_inference_endpoint(name, namespace=ns, token=TOKEN)
                done["deleted"] += 1
            except HfHubHTTPError as exc:
                if exc.response is None or exc.response.status_code != 404:
                    raise
    return {"done": done, "writes": sum(v for k, v in done.items() if k != "unchanged")}
