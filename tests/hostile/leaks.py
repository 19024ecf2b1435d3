"""What "a secret leaked" means for the tests, written independently of ``reconciler.logs``.

A secret leaks when output holds it, or a form a server or library may turn it into (JSON-escaped,
URL-encoded, base64), or one of its lines (8+ characters), or the first 8 characters of any of
those (what a copy cut short starts with). The forms come from the standard library.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

PREFIX = 8


def shown_forms(secret: str) -> set[str]:
    """Strings whose presence in output would reveal ``secret``."""
    raw = secret.encode()
    whole = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    lines = {line.strip() for line in secret.splitlines() if len(line.strip()) >= PREFIX}
    if len(lines) > 1:
        whole |= lines
    return whole | {form[:PREFIX] for form in whole if len(form) >= PREFIX}


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """The forms of ``secrets`` found in ``text`` (empty: nothing leaked)."""
    return sorted({form for secret in secrets for form in shown_forms(secret) if form in text})


def assert_no_leak(where: str, text: str, secrets: Iterable[str]) -> None:
    found = leaks(text, secrets)
    # Name only the first characters of what leaked, so the failure message does not leak it again.
    assert not found, f"{where} leaks {len(found)} form(s) of a secret: {[f[:4] + '…' for f in found]}"
