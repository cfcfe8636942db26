"""Failed-login rate limiting per user name and per client address, in bounded memory.

A sliding window of failure times per key (`user:<name>`, `ip:<address>`); a key at its budget is
refused with 429 and a Retry-After until its oldest failure leaves the window. Only failures count;
a successful login clears the user's record. At most `max_tracked_keys` keys are remembered (the
least recently touched are dropped first), and each key keeps at most its budget of timestamps.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from snpm.registry_server.services.errors import too_many_requests
from snpm.registry_server.settings import LoginLimits

__all__ = ["LoginRateLimiter"]


class LoginRateLimiter:
    def __init__(self, limits: LoginLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _keys(self, user: str | None, ip: str | None) -> list[tuple[str, int]]:
        keys: list[tuple[str, int]] = []
        if user:
            keys.append((f"user:{user}", self.limits.max_failures_per_user))
        if ip:
            keys.append((f"ip:{ip}", self.limits.max_failures_per_ip))
        return keys

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        horizon = now - self.limits.window_seconds
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def check(self, user: str | None, ip: str | None) -> None:
        """Raise 429 when the user name or the address has used up its failure budget."""
        now = self._clock()
        for key, budget in self._keys(user, ip):
            times = self._recent(key, now)
            if times is not None and len(times) >= budget:
                wait = max(1, math.ceil(times[0] + self.limits.window_seconds - now))
                raise too_many_requests("Too many failed login attempts. Try again later.", wait)

    def record_failure(self, user: str | None, ip: str | None) -> None:
        now = self._clock()
        for key, budget in self._keys(user, ip):
            times = self._recent(key, now)
            if times is None:
                times = deque(maxlen=budget)
                self._failures[key] = times
            times.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.limits.max_tracked_keys:
            self._failures.popitem(last=False)

    def record_success(self, user: str) -> None:
        self._failures.pop(f"user:{user}", None)

    def __len__(self) -> int:
        return len(self._failures)
