"""The emulator core: world state, simulated clock, request log, fault rules and request dispatch."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ApiError
from .tokens import TokenSigner
from .world import build_tenants

SECRET_KEYS = {"client_secret", "password", "addomainpassword", "client_assertion", "assertion", "refresh_token",
               "secret", "domainpassword", "access_token", "id_token", "device_code"}


def redact(value):
    if isinstance(value, dict):
        return {k: ("***" if str(k).lower() in SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class Clock:
    """Simulated time: `scale` simulated seconds per real second, plus explicit advances (scale 0: time moves only
    through advances, so tests see exactly the phases they step through)."""

    def __init__(self, scale: float):
        self.scale = scale
        self._real0 = time.monotonic()
        self._epoch0 = time.time()
        self._offset = 0.0

    def now(self) -> float:
        return self._epoch0 + (time.monotonic() - self._real0) * self.scale + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass
class FaultRule:
    method: str | None
    path: re.Pattern
    service: str | None
    status: int | None
    retry_after: float | None
    count: int | None
    latency_ms: float
    drop: bool
    code: str | None
    answer_lost: bool = False
    response_delay_ms: float = 0.0
    tls: str | None = None
    hits: int = 0
    spec: dict = field(default_factory=dict)

    @property
    def answers(self) -> bool:
        """The rule decides what becomes of the answer (replaces it, drops it, or loses it after the write)."""
        return self.status is not None or self.drop or self.answer_lost

    def matches(self, method: str, path: str, service: str) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        if self.tls:
            return False
        if self.method and self.method not in ("*", method.upper()):
            return False
        if self.service and self.service != service:
            return False
        return bool(self.path.search(path))


TLS_FAULTS = ("handshake_failure", "reset")


def parse_fault(body) -> FaultRule:
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", "fault rule must be a JSON object")
    allowed = {"method", "path", "status", "retry_after", "count", "latency_ms", "drop", "service", "code",
               "answer_lost", "response_delay_ms", "tls"}
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(400, "BadRequest", f"unknown fault rule keys: {sorted(unknown)}; allowed: {sorted(allowed)}")
    count = body.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ApiError(400, "BadRequest", "count must be a positive integer (omit it for no limit)")
    tls = body.get("tls")
    if tls is not None:
        # A TLS fault strikes before any HTTP is read, so nothing but the count can narrow it.
        if tls not in TLS_FAULTS:
            raise ApiError(400, "BadRequest", f"tls must be one of {list(TLS_FAULTS)}")
        extra = set(body) - {"tls", "count"}
        if extra:
            raise ApiError(400, "BadRequest", f"a tls rule takes only tls and count (it strikes before the request "
                                              f"is known); remove {sorted(extra)}")
        return FaultRule(method=None, path=re.compile(".*"), service=None, status=None, retry_after=None,
                         count=count, latency_ms=0.0, drop=False, code=None, tls=tls, spec=dict(body))
    try:
        pattern = re.compile(body.get("path") or ".*")
    except re.error as err:
        raise ApiError(400, "BadRequest", f"path is not a valid regular expression: {err}") from None
    status = body.get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ApiError(400, "BadRequest", "status must be an integer from 400 to 599")
    service = body.get("service")
    if service not in (None, "entra", "graph", "arm"):
        raise ApiError(400, "BadRequest", "service must be entra, graph or arm")
    for key in ("latency_ms", "response_delay_ms"):
        value = body.get(key)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
            raise ApiError(400, "BadRequest", f"{key} must be a non-negative number of milliseconds")
    answer_lost = bool(body.get("answer_lost"))
    if sum(1 for x in (status is not None, bool(body.get("drop")), answer_lost) if x) > 1:
        raise ApiError(400, "BadRequest", "give at most one of status, drop and answer_lost: each decides the answer")
    if status is None and not body.get("drop") and not answer_lost and not body.get("latency_ms") \
            and not body.get("response_delay_ms"):
        raise ApiError(400, "BadRequest", "a fault rule needs status, drop, answer_lost, latency_ms, response_delay_ms "
                                          "or tls")
    return FaultRule(
        method=(body.get("method") or "").upper() or None, path=pattern, service=service, status=status,
        retry_after=body.get("retry_after"), count=count, latency_ms=float(body.get("latency_ms") or 0),
        drop=bool(body.get("drop")), code=body.get("code"), answer_lost=answer_lost,
        response_delay_ms=float(body.get("response_delay_ms") or 0), spec=dict(body),
    )


class Emulator:
    def __init__(self, seed: dict, time_scale: float = 1.0, seed_dir: Path = Path(".")):
        self.original_seed = seed
        self.seed_dir = seed_dir  # certificate paths in seeds given to POST /_emulator/reset are relative to it
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.fault_lock = threading.Lock()
        self.identity_header = secrets.token_urlsafe(16)
        # Every control call must carry it (Authorization: Bearer); it is written to the ready file only.
        self.control_token = secrets.token_urlsafe(32)
        self._instant = threading.local()
        self.log: list[dict] = []
        self.faults: list[FaultRule] = []
        self.load(seed, time_scale)

    def load(self, seed: dict, time_scale: float) -> None:
        """(Re)start the world from a validated seed: new clock, new token key, empty log and fault rules."""
        with self.lock:
            clock = Clock(time_scale)
            tenants = build_tenants(seed, clock.now())  # raises SeedError before anything changes
            self.seed = seed
            self.clock = clock
            self.tenants = tenants
            self.signer = TokenSigner()  # tokens from before the reset are no longer valid
            self.refresh_tokens: dict[str, dict] = {}
            self.device_codes: dict[str, dict] = {}  # device_code -> pending device authorization
            with self.log_lock:
                self.log.clear()
            with self.fault_lock:
                self.faults.clear()

    # -- lookups --------------------------------------------------------------------------------------------------
    def now(self) -> float:
        # Within a request the clock stands still: settling, the handler's status answers and the start of new
        # checks all see one instant, so a check can't finish between settle() and the answer.
        pinned = getattr(self._instant, "now", None)
        return self.clock.now() if pinned is None else pinned

    def pin_now(self) -> None:
        self._instant.now = self.clock.now()

    def unpin_now(self) -> None:
        self._instant.now = None

    def tenant_by_key(self, key: str):
        """A tenant by GUID or verified domain (case-insensitive), or None."""
        k = key.lower()
        t = self.tenants.get(k)
        if t is not None:
            return t
        for t in self.tenants.values():
            if t.domain.lower() == k:
                return t
        return None

    def subscription(self, sub_id: str):
        """(tenant, Subscription) for a subscription id in any tenant, or (None, None)."""
        sid = sub_id.lower()
        for t in self.tenants.values():
            s = t.subscriptions.get(sid)
            if s is not None:
                return t, s
        return None, None

    # -- faults and log -------------------------------------------------------------------------------------------
    def match_fault(self, method: str, path: str, service: str):
        """(latency before the service acts in ms, delay after it acted in ms, the rule that decides the answer or
        None)."""
        latency = 0.0
        delay = 0.0
        answer = None
        with self.fault_lock:
            for rule in self.faults:
                if not rule.matches(method, path, service):
                    continue
                latency += rule.latency_ms
                delay += rule.response_delay_ms
                if answer is None and rule.answers:
                    answer = rule
                    rule.hits += 1
                elif not rule.answers and rule.count is not None:
                    rule.hits += 1
        return latency, delay, answer

    def match_tls_fault(self):
        """The TLS fault for a new connection ("handshake_failure", "reset") or None; counts the hit."""
        with self.fault_lock:
            for rule in self.faults:
                if rule.tls and (rule.count is None or rule.hits < rule.count):
                    rule.hits += 1
                    return rule.tls
        return None

    def record(self, entry: dict) -> None:
        with self.log_lock:
            self.log.append(entry)

    # -- simulated processes --------------------------------------------------------------------------------------
    def settle(self) -> None:
        """Finish health checks and image uploads whose simulated time is up (results from the current state)."""
        from . import health, images

        now = self.now()
        for t in self.tenants.values():
            for anc in t.ancs.values():
                health.settle(self, t, anc, now)
            for img in t.images.values():
                images.settle(self, t, img, now)
