#!/usr/bin/python3
# Socket activation without systemd: hands a listening socket to a command as fd 3.
#
# dbus-broker-launch only runs under socket activation (LISTEN_FDS/LISTEN_PID, as systemd
# passes them) and logs to the journal's datagram socket. This stands in for both: it binds
# the listening socket, optionally binds a datagram socket where the journal would be and
# copies what arrives there to stderr (so nothing fills up and the log stays readable), then
# runs the command in a child whose pid it sets as LISTEN_PID.
#
# It dies with its parent (PR_SET_PDEATHSIG) and forwards SIGTERM/SIGINT/SIGHUP to the child,
# so the caller's shell script only has to stop this one process.
import argparse
import ctypes
import os
import select
import signal
import socket
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# After the command exits, how long to wait for its orphaned children (dbus-broker under
# dbus-broker-launch) to exit before leaving them to init.
ORPHAN_GRACE_SECONDS = 5.0
SD_LISTEN_FDS_START = 3
# A journal datagram is one log record; records larger than this are cut, which is fine for
# a test log.
JOURNAL_DATAGRAM_MAX = 64 * 1024
LISTEN_BACKLOG = 128
# How often the journal loop checks whether the command has exited (select() is retried
# after SIGCHLD, so it does not wake us).
CHILD_POLL_SECONDS = 0.1


LIBC = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def become_subreaper():
    # When the launcher is killed first, its broker is re-parented here instead of to init,
    # so it is reaped before we exit and no zombie outlives the caller's kill.
    LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans():
    deadline = time.monotonic() + ORPHAN_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def bind_listener(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(LISTEN_BACKLOG)
    return sock


def bind_journal(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    return sock


def run_child(listener, command):
    pid = os.fork()
    if pid == 0:
        die_with_parent()
        if listener.fileno() == SD_LISTEN_FDS_START:
            # dup2 onto itself is a no-op that would leave close-on-exec set.
            os.set_inheritable(SD_LISTEN_FDS_START, True)
        else:
            os.dup2(listener.fileno(), SD_LISTEN_FDS_START, inheritable=True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.environ.pop("LISTEN_FDNAMES", None)
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    return pid


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="path of the stream socket to pass as fd 3")
    parser.add_argument("--journal", help="path of a datagram socket to stand in for the journal")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    die_with_parent()
    become_subreaper()
    listener = bind_listener(args.listen)
    journal = bind_journal(args.journal) if args.journal else None
    child = run_child(listener, command)
    listener.close()

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    # A handler (not SIG_DFL, which ignores it) so that pause() returns when the child exits.
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)

    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            reap_orphans()
            sys.exit(os.waitstatus_to_exitcode(status) if status else 0)
        if journal is None:
            signal.pause()
            continue
        try:
            readable, _, _ = select.select([journal], [], [], CHILD_POLL_SECONDS)
        except InterruptedError:
            continue
        if readable:
            record = journal.recv(JOURNAL_DATAGRAM_MAX)
            for line in record.decode("utf-8", "replace").splitlines():
                if line.startswith("MESSAGE="):
                    print(line[len("MESSAGE="):], file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
