"""First-come, first-served bounds on work done at once, shared by threads.

``threading.Semaphore`` lets a thread that arrives just as a slot frees take it ahead of
those already waiting, so under load some callers wait far longer than others. Here a
freed slot is handed to the longest-waiting caller directly.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Busy

BUSY = "The assistant is busy right now: please try again in a few seconds."


class FairSlots:
    """At most ``size`` holders at once; the others wait in the order they came."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    @contextmanager
    def held(self, most_waiting: int | None = None) -> Iterator[None]:
        self.acquire(most_waiting)
        try:
            yield
        finally:
            self.release()

    def acquire(self, most_waiting: int | None = None) -> None:
        """Wait for a slot, in turn; with ``most_waiting``, a caller that would make more
        than that many waiting is refused with :class:`Busy` instead."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            if most_waiting is not None and self.waiting >= most_waiting:
                raise Busy(BUSY)
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the slot is ours once it is set: release() handed it over

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot now."""
        return len(self._waiting)

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1
