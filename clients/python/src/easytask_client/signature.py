"""Checks that a callback or heartbeat was signed by the scheduler with the
task server's secret, for the TaskServer helper and for task servers on a web
framework of their own."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable
from typing import Any, Protocol

TIMESTAMP_HEADER = "x-easytask-timestamp"
SIGNATURE_HEADER = "x-easytask-signature"
DEFAULT_SIGNATURE_TOLERANCE_SEC = 300.0

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
_SIGNATURE_V1 = re.compile(r"v1=([0-9a-fA-F]{64})")


class SignatureError(ValueError):
    """A callback not signed with the task server's secret, or signed too long ago."""


class Headers(Protocol):
    """Request headers: a dict, ``http.server``'s ``self.headers``, or a web
    framework's headers (anything with ``items()``)."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


def _header(headers: Headers, name: str) -> str | None:
    values = [str(value) for key, value in headers.items() if key.lower() == name]
    if len(values) > 1:
        # Two values would leave it open which one was signed.
        raise SignatureError(f"more than one {name} header")
    return values[0] if values else None


def verify_signature(
    secret: str,
    headers: Headers,
    body: bytes,
    tolerance_sec: float = DEFAULT_SIGNATURE_TOLERANCE_SEC,
    now: float | None = None,
) -> None:
    """Checks that ``x-easytask-signature`` is ``v1=`` + hex
    HMAC-SHA256(secret, ``x-easytask-timestamp`` + "." + body) and that the
    timestamp (unix seconds) is within ``tolerance_sec`` of ``now`` (default:
    the current time). ``body`` must be the raw bytes received. Raises
    ``SignatureError`` saying what is wrong; answer it with HTTP 401 and do
    not run the task."""
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if timestamp is None or signature is None:
        missing = TIMESTAMP_HEADER if timestamp is None else SIGNATURE_HEADER
        raise SignatureError(f"the request is not signed: {missing} is missing")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} is not unix seconds")
    given = _SIGNATURE_V1.fullmatch(signature)
    if given is None:
        raise SignatureError(f'{SIGNATURE_HEADER} is not "v1=" and 64 hex digits')
    skew = abs((time.time() if now is None else now) - int(timestamp))
    if skew > tolerance_sec:
        raise SignatureError(f"the timestamp is {round(skew)} s from now, more than the tolerance of {tolerance_sec:g} s")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, bytes.fromhex(given.group(1))):
        raise SignatureError("the signature does not match: signed with another secret, or altered")
