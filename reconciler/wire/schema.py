"""The API's ``EndpointWithStatus`` as pydantic models: only the keys hfleet reads, strictly typed.

Owns: ``Endpoint`` and its parts (``Provider``, ``Compute``, ``Scaling``, ``Model``, ``Route``,
``Status``), the bounded field types ``Text`` and ``Count``, and ``MAX_TEXT``.
Called by: ``reconciler.wire.record`` only (``parse`` validates with ``Endpoint`` and turns the
result into an ``EndpointRecord``; nothing else should see these models).
Must not: check the API's naming rules, scrub secrets or build records: that is ``record``'s job.

Unknown keys are ignored here (``record`` keeps them in ``raw``). Fields the API documents as
required, and that hfleet's decisions read, are required: a record without them cannot be compared,
so it is reported as malformed and never acted upon.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_TEXT",
    "Compute",
    "Count",
    "Endpoint",
    "Model",
    "Provider",
    "Route",
    "Scaling",
    "Status",
    "Text",
]

MAX_TEXT = 4096  # longest string we accept in a field we print or compare


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, populate_by_name=True)


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class Scaling(_Wire):
    min_replica: Count = Field(alias="minReplica")
    max_replica: Count = Field(alias="maxReplica")
    scale_to_zero_timeout: Count | None = Field(None, alias="scaleToZeroTimeout")
    metric: Text | None = None
    measure: dict[Text, float | None] | None = None


class Compute(_Wire):
    accelerator: Text | None = None
    instance_type: Text = Field(alias="instanceType")
    instance_size: Text = Field(alias="instanceSize")
    id: Text | None = None
    scaling: Scaling


class Provider(_Wire):
    vendor: Text
    region: Text


class Model(_Wire):
    repository: Text
    framework: Text | None = None
    revision: Text | None = None
    task: Text | None = None
    image: dict[Text, dict[Text, Any] | None] | None = None
    env: dict[Text, Text] | None = None
    secrets: dict[Text, Any] | None = None
    secret: dict[Text, Any] | None = None  # the 2023 spelling
    command: list[Text] | None = None
    args: list[Text] | None = None


class Route(_Wire):
    domain: Text | None = None
    path: Text | None = None


class Status(_Wire):
    state: Text
    message: Text | None = None
    error_message: Text | None = Field(None, alias="errorMessage")
    url: Text | None = None
    ready_replica: Count | None = Field(None, alias="readyReplica")
    target_replica: Count | None = Field(None, alias="targetReplica")
    created_at: Any = Field(None, alias="createdAt")
    updated_at: Any = Field(None, alias="updatedAt")


class Endpoint(_Wire):
    name: Text
    type: Text | None = None
    provider: Provider
    compute: Compute
    model: Model
    route: Route | None = None
    tags: list[Text] | None = None
    cache_http_responses: bool | None = Field(None, alias="cacheHttpResponses")
    experimental_features: dict[Text, Any] | None = Field(None, alias="experimentalFeatures")
    private_service: dict[Text, Any] | None = Field(None, alias="privateService")
    health_route: Text | None = Field(None, alias="healthRoute")
    status: Status
