#!/usr/bin/env python3
"""Target 4: what a tester would otherwise write in Python.

N raw getppid calls through ctypes and glibc's syscall(2), the way it is
usually written: the function looked up once, called in a plain loop.

    python3 ctypes_getppid.py [N]      N defaults to 1000000

Check it: strace -f -c -e trace=getppid python3 ctypes_getppid.py 1000
"""
import ctypes
import platform
import sys

NR_GETPPID = {"x86_64": 110, "aarch64": 173}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    nr = NR_GETPPID[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    bad = 0
    for _ in range(n):
        if syscall(nr) <= 0:
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
