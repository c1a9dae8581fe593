#!/usr/bin/env python3
"""Run a command in a session of its own with a new pty as its controlling
terminal, as an interactive shell would run it, for the terminal tests.

usage: pty-run.py [--send TEXT]... [--hangup S] [--timeout S] -- CMD [ARG...]

Each --send TEXT (backslash escapes such as \\n decoded) is typed into the
terminal, one every 0.5 s, starting 1 s after the start. --hangup S closes
the terminal (its master) after S seconds, as a closed terminal window
does: the kernel then sends SIGHUP to the command. Everything the command
writes to the terminal is copied to stdout; the exit status is the
command's (128 + N when killed by signal N, 124 after the timeout).
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    sends, timeout, hangup = [], 60.0, None
    while args and args[0] != "--":
        if args[0] == "--send":
            sends.append(args[1].encode().decode("unicode_escape").encode())
            args = args[2:]
        elif args[0] == "--hangup":
            hangup = float(args[1])
            args = args[2:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
            args = args[2:]
        else:
            sys.exit("pty-run.py: bad argument %r" % args[0])
    cmd = args[1:]
    if not cmd:
        sys.exit(__doc__)
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    start = time.monotonic()
    next_send = start + 1.0
    out = sys.stdout.buffer
    while True:
        now = time.monotonic()
        if now - start > timeout:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(124)
        if hangup is not None and now - start >= hangup:
            os.close(master)
            break
        if sends and now >= next_send:
            os.write(master, sends.pop(0))
            next_send = now + 0.5
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out.write(data)
            out.flush()
    deadline = start + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(124)
        time.sleep(0.05)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
