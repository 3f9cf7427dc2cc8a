#!/bin/bash
# The network thread's system calls, counted by strace for 10 s while `bench/e2e.py --scenarios
# steady` runs beside this script (start this first). strace stops the thread at every call, so the
# wake-ups of a traced run are not the thread's own: divide by the bench's by-thread wake-ups of an
# untraced run.
set -euo pipefail
pid=$(until pgrep -x market-collecto; do sleep 0.2; done | head -1)
sleep 8  # past the bench's warm-up
tid=$(grep -lx 'mc-feed-1' /proc/"$pid"/task/*/comm | head -1 | cut -d/ -f5)
exec timeout -s INT 10 strace -c -e trace=epoll_wait,recvmsg -p "$tid"
