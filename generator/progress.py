"""A progress line for long work, on a terminal only.

While `bangfu build` (or demo, export-xlsx, verify, impact) runs, one line on stderr says which step is running and for
how long: "⠹ 生成档案页（第 5/7 步）… 已用 23 秒". It is redrawn in place twice a second and removed when the work
ends, so the summary that follows stands alone. When stderr is not a terminal (a pipe, a log file, CI, a git
hook) nothing is written at all: logs get the summary, not a stream of carriage returns. BANGFU_PROGRESS=0 turns
it off on a terminal too.
"""

from __future__ import annotations

import os
import sys
import threading
import time

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_CLEAR = "\r\x1b[K"


class Progress:
    """The current step of a long command, redrawn on stderr while it runs (a no-op when stderr is no terminal)."""

    def __init__(self, steps: int | None = None, stream=None, *, enabled: bool | None = None, interval: float = 0.5):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = _is_terminal(self.stream) and os.environ.get("BANGFU_PROGRESS", "1") != "0"
        self.enabled = enabled
        self.steps, self.index, self.label, self.detail = steps, 0, "", ""
        self.interval = interval
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._frame = 0

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="bangfu-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.enabled:
            with self._lock:
                self.stream.write(_CLEAR)
                self.stream.flush()

    def step(self, label: str) -> None:
        """The next step begins."""
        with self._lock:
            self.index += 1
            self.label, self.detail = label, ""
        self._draw()

    def count(self, done: int, total: int, unit: str = "户") -> None:
        """How far the current step is (for steps that know their size)."""
        with self._lock:
            self.detail = f"{done}/{total} {unit}"
        self._draw()

    def line(self) -> str:
        """The text of the progress line as it stands."""
        where = f"（第 {self.index}/{self.steps} 步）" if self.steps else ""
        detail = f" {self.detail}" if self.detail else ""
        return (
            f"{_FRAMES[self._frame % len(_FRAMES)]} {self.label}{where}{detail} … 已用 {int(time.monotonic() - self.started)} 秒"
        )

    def _draw(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.stream.write(_CLEAR + self.line())
            self.stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._frame += 1
            self._draw()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def seconds(value: float) -> str:
    """80.3 → "1 分 20 秒"; 4.2 → "4.2 秒"."""
    if value < 60:
        return f"{value:.1f} 秒"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} 分 {rest} 秒"
