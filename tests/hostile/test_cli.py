"""Attacks of a hostile API server against the real CLI (a child process, bounded in time and memory).

Each test names the attack, runs ``hfleet plan`` or ``apply`` against it, and asserts the exit code,
the message (which names the limit), how long it took, and (in ``conftest.cli``) that no secret or
token appears in any form in stdout or stderr and that no traceback was printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.conftest import Cli
from tests.hostile.server import HostileServer, gzip_bomb
from tests.reliability import helpers

LIST = "/v2/endpoint/emulator"
SLOW = {"HFLEET_HTTP_DEADLINE": "2"}


def test_the_unattacked_server_is_an_ordinary_api(cli: Cli, specs: Path) -> None:
    assert cli("plan", str(specs)).code == 2
    assert cli("apply", str(specs), "--yes").code == 0
    assert cli("plan", str(specs)).code == 0


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_list_redirected_to_another_origin_is_refused(
    cli: Cli, specs: Path, hostile: HostileServer, status: int
) -> None:
    with HostileServer() as elsewhere:
        hostile.add("GET", LIST, "redirect", status=status, location=elsewhere.url + LIST)
        run = cli("plan", str(specs))
        assert run.code == 1 and "another origin" in run.err, run.err[-2000:]
        assert elsewhere.requests() == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_create_redirected_to_another_origin_sends_it_nothing(
    cli: Cli, specs: Path, hostile: HostileServer, status: int
) -> None:
    with HostileServer() as elsewhere:
        hostile.add("POST", LIST, "redirect", status=status, location=elsewhere.url + LIST)
        run = cli("apply", str(specs), "--yes")
        assert run.code == 1 and "another origin" in run.text, run.text[-2000:]
        assert elsewhere.requests() == []  # neither the body (secrets) nor the token went there
    assert hostile.emulator.store.all() == []


def test_a_create_redirected_within_its_origin_is_not_re_sent(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("POST", LIST, "redirect", status=307, location="/v2/endpoint/emulator-org")
    run = cli("apply", str(specs), "--yes")
    assert run.code == 1 and "never follows a redirect of a write" in run.text
    assert len(hostile.requests("POST", LIST)) == 2  # one per endpoint, none re-sent or retried
    assert hostile.requests("POST", "/v2/endpoint/emulator-org") == []


def test_a_list_redirected_within_its_origin_is_followed(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add(
        "GET", "/v2/endpoint/emulator", "redirect", times=1, status=308, location="/v2/endpoint/emulator"
    )
    assert cli("plan", str(specs)).code == 2


def test_a_gzip_bomb_is_refused_at_16_mib_without_a_memory_blow_up(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    gzip_bomb()
    hostile.add("GET", LIST, "gzip_bomb")
    run = cli("plan", str(specs))
    assert run.code == 1 and "16 MiB limit" in run.err, run.err[-2000:]
    assert "MemoryError" not in run.err and run.seconds < 20


def test_a_huge_answer_is_refused_at_16_mib(cli: Cli, specs: Path, hostile: HostileServer) -> None:
    hostile.add("GET", LIST, "huge", size=2**30)
    run = cli("plan", str(specs))
    assert run.code == 1 and "16 MiB limit" in run.err and run.seconds < 20


def test_endless_new_cursors_stop_at_1000_pages(cli: Cli, specs: Path, hostile: HostileServer) -> None:
    hostile.add("GET", LIST, "endless_cursor")
    run = cli("plan", str(specs))
    assert run.code == 1 and "more than 1000 pages" in run.err, run.err[-2000:]
    assert len(hostile.requests("GET", LIST)) == 1000 and run.seconds < 40


def test_a_repeating_cursor_is_an_error_not_a_short_list(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("GET", LIST, "repeating_cursor", cycle=3)
    run = cli("plan", str(specs))
    assert run.code == 1 and "repeats an earlier cursor" in run.err
    assert len(hostile.requests("GET", LIST)) == 4


def test_a_server_that_refuses_large_pages_still_gets_listed(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    assert cli("apply", str(specs), "--yes").code == 0
    hostile.add("GET", LIST, "refuse_limit", maximum=20)
    run = cli("plan", str(specs))
    assert run.code == 0, run.text[-2000:]
    assert [s.query.get("limit") for s in hostile.requests("GET", LIST)][-2:] == [["100"], None]


def test_a_body_sent_one_byte_at_a_time_ends_at_the_deadline(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("GET", LIST, "slow_body", interval=0.2)
    run = cli("plan", str(specs), env=SLOW)
    assert run.code == 1 and "2 s request deadline" in run.err, run.err[-2000:]
    assert run.seconds < 10


def test_headers_sent_one_byte_at_a_time_end_at_the_deadline(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("GET", LIST, "slow_headers", interval=0.2)
    run = cli("plan", str(specs), env=SLOW, timeout=8)
    assert run.code == 1 and "2 s request deadline" in run.err and run.seconds < 10


def test_a_retry_after_of_an_hour_fails_at_once_saying_why(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("GET", LIST, "rate_limited", retry_after="3600")
    run = cli("plan", str(specs))
    assert run.code == 1 and "3600 s, longer than hfleet waits (60 s)" in run.err, run.err[-2000:]
    assert run.seconds < 10 and len(hostile.requests("GET", LIST)) == 1


def test_secrets_echoed_back_in_every_form_are_never_printed(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    """The server answers each create with a 400 quoting the request's secrets raw, JSON-escaped
    (once and twice), base64, line by line and cut short; ``cli`` scans the output for all forms."""
    hostile.add("POST", LIST, "echo_secrets")
    run = cli("apply", str(specs), "--yes")
    assert run.code == 1 and "HTTP 400" in run.text, run.text[-2000:]
    assert "invalid value ***" in run.text  # the echo was printed, redacted


def test_a_token_echoed_in_a_401_is_never_printed(cli: Cli, specs: Path, hostile: HostileServer) -> None:
    hostile.add("GET", LIST, "echo_secrets", status=401)
    run = cli("plan", str(specs))
    assert run.code == 1 and "HTTP 401" in run.err


def test_terminal_escape_sequences_from_the_api_are_escaped(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    hostile.add("GET", LIST, "json", status=400, body={"error": "\x1b[2J\x1b]0;owned\x07\rbad request\x9b"})
    run = cli("plan", str(specs))
    assert run.code == 1 and "bad request" in run.err
    for raw in ("\x1b", "\x07", "\r", "\x9b"):
        assert raw not in run.text
    assert "\\x1b[2J" in run.err


@pytest.mark.parametrize("attack", [pytest.param("slow_body", marks=helpers.soak_only)])
def test_soak_the_default_deadline_ends_a_slow_body(
    cli: Cli, specs: Path, hostile: HostileServer, attack: str
) -> None:
    """The same drip against the default 60 s deadline (``make soak`` only: it takes a minute)."""
    hostile.add("GET", LIST, attack, interval=0.5)
    run = cli("plan", str(specs), timeout=90)
    assert run.code == 1 and "60 s request deadline" in run.err and run.seconds < 75
