"""A parser process: `python -m marketloop.crawl.worker`, fed jobs over stdin, answering on stdout.

Frames are a 4-byte big-endian length and a pickle; one answer per job, in order, flushed when
no further job is waiting (fewer wake-ups of the crawler under load). Only the pure
parse step is imported here (selectolax, numpy, the standard library), so each worker stays
small. SIGINT is ignored: the crawler decides when workers stop (it closes stdin).
"""

from __future__ import annotations

import pickle
import select
import signal
import sys
from typing import BinaryIO

from marketloop.crawl.parse import handle
from marketloop.crawl.records import FRAME

BUFFER = 1 << 18


def read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(FRAME.size)
    if len(header) < FRAME.size:
        return None
    (length,) = FRAME.unpack(header)
    return stream.read(length)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source = open(sys.stdin.fileno(), "rb", buffering=BUFFER, closefd=False)  # noqa: SIM115
    sink = open(sys.stdout.fileno(), "wb", buffering=BUFFER, closefd=False)  # noqa: SIM115
    while (frame := read_frame(source)) is not None:
        job = pickle.loads(frame)  # noqa: S301 - frames come from the parent crawler only
        answer = pickle.dumps(handle(job), protocol=pickle.HIGHEST_PROTOCOL)
        sink.write(FRAME.pack(len(answer)) + answer)
        if not select.select([source], [], [], 0)[0]:
            sink.flush()  # answers go out together while more jobs are already waiting
    sink.flush()


if __name__ == "__main__":
    main()
