#!/usr/bin/env python3
"""fsync latency of the disk under a directory, as the spool meets it: a new 100 KB file written and
fsynced, then its directory fsynced, N times. Prints p50 / p90 / max in milliseconds.

  python3 bench/fsync_latency.py [DIR] [N]
"""
import os
import sys
import tempfile
import time


def main():
    parent = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory(dir=parent) as work:
        directory = os.open(work, os.O_RDONLY)
        times = []
        for i in range(count):
            fd = os.open(os.path.join(work, f"f{i}"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.write(fd, b"x" * 100_000)
            started = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - started) * 1000)
            os.close(fd)
            started = time.perf_counter()
            os.fsync(directory)
            times.append((time.perf_counter() - started) * 1000)
        os.close(directory)
    times.sort()
    print(f"fsyncs={len(times)} p50={times[len(times) // 2]:.1f} ms p90={times[int(len(times) * 0.9)]:.1f} ms "
          f"max={times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
