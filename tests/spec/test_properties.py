"""Property tests: no input ever crashes the loader; it either loads or raises a located SpecError."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.spec import loader, source

FLEET = b"kind: Fleet\nname: t\nnamespace: n\n"


def _load(raw: bytes) -> None:
    docs, problems = source.parse_bytes(raw, "fuzz.yaml")
    fleet_docs, _ = source.parse_bytes(FLEET, "fleet.yaml")
    try:
        loader.load_documents(fleet_docs + docs, problems)
    except errors.SpecError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file in ("fuzz.yaml", "fleet.yaml")
            assert problem.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(raw: bytes) -> None:
    _load(raw)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
endpoint_keys = st.sampled_from(
    [
        "kind",
        "name",
        "repository",
        "min_replica",
        "max_replica",
        "image",
        "env",
        "secrets",
        "schedule",
        "state",
        "scale_to_zero_timeout",
        "tags",
        "smoke",
        "protect",
        "accelerator",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(endpoint_keys, yaml_values, max_size=8))
def test_random_yaml_documents_never_crash(doc: dict[str, object]) -> None:
    _load(yaml.safe_dump(doc).encode())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes(text: str) -> None:
    _load(text.encode("utf-8"))  # text as a user's editor writes it: valid UTF-8 (bytes: above)
