"""The shared HTTP rules: Retry-After parsing and where a token may travel."""

from __future__ import annotations

import math

import pytest

from reconciler.net import retry_after, urls

NOW = 1_780_000_000.0  # a fixed instant: the date forms never depend on when the suite runs


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("3", 3.0),
        ("2.5", 2.5),
        ("-4", 0.0),
        ("nan", None),
        ("inf", retry_after.MAX_SECONDS),
        ("1e400", retry_after.MAX_SECONDS),
        ("99999999", retry_after.MAX_SECONDS),
        ("soon", None),
        ("x" * 10_000, None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after.parse(header, now=lambda: NOW) == expected


def test_retry_after_http_dates_are_relative_to_now() -> None:
    from email.utils import formatdate

    future = formatdate(NOW + 42, usegmt=True)
    past = formatdate(NOW - 42, usegmt=True)
    value = retry_after.parse(future, now=lambda: NOW)
    assert value is not None and math.isclose(value, 42.0, abs_tol=1.0)
    assert retry_after.parse(past, now=lambda: NOW) == 0.0
    assert retry_after.parse("Mon, 99 Foo 2026 25:61:61 GMT", now=lambda: NOW) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://api.endpoints.huggingface.cloud/v2",
        "http://127.0.0.1:8765/v2",
        "http://127.9.9.9/v2",
        "http://localhost:1/v2",
        "http://emulator.localhost/v2",
        "http://[::1]:8765/v2",
    ],
)
def test_secure_or_loopback_urls_pass(url: str) -> None:
    urls.require_secure(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v2",
        "http://10.0.0.1/v2",
        "http://localhost.example.com/v2",
        "http://127.0.0.1.nip.io/v2",
    ],
)
def test_plain_http_elsewhere_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(urls.InsecureUrl, match="clear text"):
        urls.require_secure(url)
    urls.require_secure(url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:x", "http://", "::"]
)
def test_non_http_urls_are_refused_even_when_insecure_is_allowed(url: str) -> None:
    with pytest.raises(urls.InsecureUrl):
        urls.require_secure(url, allow_insecure_http=True)
