#!/usr/bin/python3
# Bus Runner: swiftbusd against dbus-daemon and dbus-broker, same workload, same run.
#
# Started by run.sh, which builds the clients first. Starts one fresh bus of each kind, a
# benchmark server per bus and client, then runs every case on every bus, interleaved case
# by case (the bus order rotates each repetition), unpinned and pinned to one CPU, and prints
# medians over the repetitions with the ratio swiftbusd / dbus-broker. With --write it also
# regenerates BENCHMARKS.md. Standard library only: /usr/bin/python3 is enough.
import argparse
import json
import os
import platform
import shutil
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUSWORK = os.path.join(HERE, ".build", "release", "buswork")
SDBUS = os.path.join(HERE, ".build", "sdbus-client")
# SWIFTBUSD in the environment names another build (a branch not yet merged, say).
SWIFTBUSD = os.environ.get("SWIFTBUSD") or os.path.join(ROOT, ".build", "release", "swiftbusd")
# SWIFTBUSD_ARGS: more options for swiftbusd (e.g. --busy-poll=0), shown in the report.
SWIFTBUSD_ARGS = os.environ.get("SWIFTBUSD_ARGS", "").split()
SOCKET_ACTIVATE = os.path.join(ROOT, "Tests", "Support", "socket-activate.py")

# Seconds to wait for a bus or a server to come up before declaring it broken.
STARTUP_TIMEOUT = 10.0
# Seconds one client process may take before the case counts as failed.
CASE_TIMEOUT = 120.0
# After a scaling case the holder of 2^k rules or calls disconnects and the bus cleans up;
# the next case waits until the bus is idle, at most this long. A bus still busy then gets
# its larger k skipped (dbus-daemon 1.14 needs minutes for 2^17 rules).
SETTLE_LIMIT = 15.0
# The CPU every process runs on in the pinned mode.
PINNED_CPU = "0"
# Limits written into every bus's config: high enough that no case trips a quota, the same
# for all three buses (dbus-broker-launch maps them onto its per-user quotas).
BUS_LIMITS = {
    "max_incoming_bytes": 1_000_000_000,
    "max_outgoing_bytes": 1_000_000_000,
    "max_message_size": 134_217_728,
    "max_completed_connections": 100_000,
    "max_incomplete_connections": 10_000,
    "max_connections_per_user": 100_000,
    "max_match_rules_per_connection": 300_000,
    "max_replies_per_connection": 300_000,
    "max_names_per_connection": 50_000,
    "reply_timeout": 300_000,
}
BUS_NAMES = ["dbus-daemon", "dbus-broker", "swiftbusd"]
# kdbus-only rows: the 16 MiB array as a sealed memfd, new per call or made once.
KDBUS_MEMFD_FRESH_ROW = "ay 16 MiB calls, memfd per call"
KDBUS_MEMFD_ONCE_ROW = "ay 16 MiB calls, memfd made once"
# kdbus only, past D-Bus's limits (128 MiB a message, 64 MiB an array): no classic bus can carry it.
KDBUS_1GIB_ROW = "ay 1 GiB calls, memfd made once"
# The bus whose kdbus transport the "kdbus" client measures.
KDBUS_BUS = "swiftbusd"


class SkippedCase(Exception):
    """A case not run, with the reason shown in its table cell."""


class Counts:
    """Every count of the run; --smoke shrinks them all."""

    def __init__(self, smoke, repetitions=None):
        self.repetitions = repetitions or (1 if smoke else 3)
        self.rtt = 200 if smoke else 2000
        self.pipelined = 500 if smoke else 8000
        self.multi_client = 200 if smoke else 2000  # per client process
        self.multi_clients = 4
        self.in_flight = 32
        self.ticks_10 = 128 if smoke else 5120  # per subscriber: ~50 000 deliveries
        self.ticks_100 = 64 if smoke else 512
        self.noise_rules = 100 if smoke else 10000
        # 64 calls of 1 MiB took ~25 ms: too short on this machine, where another process's
        # burst could cut one repetition's figure to a fifth.
        self.bytes_1m = 4 if smoke else 256
        self.bytes_16m = 1 if smoke else 16
        self.bytes_1g = 1 if smoke else 4
        self.scaling_k = [0, 5] if smoke else [0, 5, 10, 15, 17]
        self.scaling_rtt = 100 if smoke else 500
        self.connect = 20 if smoke else 200
        self.idle_connections = 50 if smoke else 1000
        self.raw = 500 if smoke else 20000
        self.memcpy_1m = 20 if smoke else 2000
        self.memcpy_16m = 2 if smoke else 100
        self.memfd_16m = 2 if smoke else 40
        self.modes = ["unpinned"] if smoke else ["unpinned", "pinned"]


def log(text):
    print(text, file=sys.stderr, flush=True)


def write_config(path, listen):
    limits = "\n".join(f'  <limit name="{k}">{v}</limit>' for k, v in BUS_LIMITS.items())
    listen_line = f"  <listen>{listen}</listen>\n" if listen else ""
    with open(path, "w") as f:
        f.write(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
{listen_line}  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
{limits}
</busconfig>
""")


def read_line(process, timeout):
    """The first line a process prints, or None if it prints none in time."""
    deadline = time.monotonic() + timeout
    import select
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            byte = os.read(process.stdout.fileno(), 1)
            if not byte:
                return None
            if byte == b"\n":
                return line.decode()
            line += byte
        elif process.poll() is not None:
            return None
    return None


def process_group_members(pgid):
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append((int(entry), comm))
    return members


def is_dbus_broker(pid):
    """The broker itself, not its launcher, also when valgrind runs it (then comm is valgrind's)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            arguments = f.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    return any(os.path.basename(a) == "dbus-broker" for a in arguments)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def private_kib(pid):
    """Anonymous memory of the process (smaps_rollup): what it costs on its own. VmRSS also
    counts the pages of shared libraries it has touched (the Swift runtime, libc), which
    every process using them shares."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1])
    return 0


class Bus:
    """One running bus: its address, the broker process (for RSS and pinning) and its group."""

    def __init__(self, name, workdir, prefix=(), startup_timeout=STARTUP_TIMEOUT):
        self.name = name
        self.prefix = list(prefix)
        self.startup_timeout = startup_timeout
        self.dir = os.path.join(workdir, name + ("-valgrind" if prefix else ""))
        os.makedirs(self.dir)
        self.socket = os.path.join(self.dir, "bus")
        self.address = None
        self.process = None
        self.broker_pid = None
        self.problem = None

    def start(self):
        config = os.path.join(self.dir, "bus.conf")
        log_file = open(os.path.join(self.dir, "log"), "w")
        if self.name == "dbus-daemon":
            write_config(config, f"unix:path={self.socket}")
            command = self.prefix + ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"]
        elif self.name == "swiftbusd":
            if not os.access(SWIFTBUSD, os.X_OK):
                self.problem = "not built"
                return
            write_config(config, f"unix:path={self.socket}")
            command = self.prefix + [SWIFTBUSD, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1",
                                     *SWIFTBUSD_ARGS]
        else:
            write_config(config, None)
            run_mount = "/run/systemd" if os.path.isdir("/run/systemd") else "/run"
            command = ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c",
                       'mount -t tmpfs -o mode=0755 swiftbus-run "$1" || exit 1; shift; exec "$@"', "sh", run_mount,
                       "/usr/bin/python3", SOCKET_ACTIVATE, "--listen", self.socket,
                       "--journal", "/run/systemd/journal/socket", "--"] + self.prefix + [
                       "dbus-broker-launch", "--scope", "user", "--config-file", config]
        env = dict(os.environ, XDG_RUNTIME_DIR=self.dir, DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.socket}")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_file, env=env,
                                        start_new_session=True)
        if self.name == "dbus-broker":
            self.address = f"unix:path={self.socket}"
            if not self.wait_until_answering():
                self.problem = "did not start (see its log)"
                return
            brokers = [pid for pid, _ in process_group_members(self.process.pid) if is_dbus_broker(pid)]
            self.broker_pid = brokers[0] if brokers else None
        else:
            line = read_line(self.process, self.startup_timeout)
            if not line or not line.startswith("unix:"):
                self.problem = "not working: printed no address" if self.name == "swiftbusd" else "did not start"
                self.stop()
                return
            self.address = line.strip()
            self.broker_pid = self.process.pid
            if not self.wait_until_answering():
                self.problem = "not working: does not answer GetId"
                self.stop()

    def wait_until_answering(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(["dbus-send", f"--bus={self.address}", "--print-reply=literal", "--reply-timeout=1000",
                                    "--dest=org.freedesktop.DBus", "/", "org.freedesktop.DBus.GetId"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if probe.returncode == 0:
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    @property
    def running(self):
        return self.problem is None and self.process is not None

    def pids(self):
        return [pid for pid, _ in process_group_members(self.process.pid)] if self.process else []

    def stop(self):
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total


def wait_until_idle(bus, limit):
    """Seconds until the bus used no CPU for 0.2 s, or None if it was still busy after `limit`."""
    started = time.monotonic()
    previous = cpu_ticks(bus.pids())
    while time.monotonic() - started < limit:
        time.sleep(0.2)
        now = cpu_ticks(bus.pids())
        if now - previous <= 1:
            return time.monotonic() - started
        previous = now
    return None


def set_affinity(pids, cpus):
    for pid in pids:
        try:
            os.sched_setaffinity(pid, cpus)
            for thread in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(thread), cpus)
        except (OSError, ProcessLookupError):
            pass


class Runner:
    def __init__(self, counts, workdir, case_filter=()):
        self.counts = counts
        # Substrings of row names (--cases); empty runs every row.
        self.case_filter = list(case_filter)
        # (name, unit) -> per-repetition metric dicts of a floor, measured between the cases.
        self.floor_samples = {}
        self.workdir = workdir
        self.buses = [Bus(name, workdir) for name in BUS_NAMES]
        self.servers = {}  # (bus name, client) -> Popen
        self.results = {}  # (mode, case, client, bus) -> list of metric dicts
        self.cpus = None  # affinity for client processes; None = unpinned
        self.failures = []
        self.skipped = {}  # (bus name, scaling kind) -> the k after which it was skipped
        self.notes = {}  # (mode, row, client, bus name) -> text shown instead of a figure

    def client_binary(self, client):
        return SDBUS if client == "sdbus" else BUSWORK

    def command(self, client, workload, address, **options):
        # The kdbus client is buswork on swiftbusd's kdbus transport (SwiftBus's KDBusChannel).
        workload = f"kdbus-{workload}" if client == "kdbus" else workload
        command = [self.client_binary(client), workload, address] + [f"{k}={v}" for k, v in options.items()]
        if self.cpus:
            command = ["taskset", "-c", PINNED_CPU] + command
        return command

    def run_client(self, client, workload, address, **options):
        done = subprocess.run(self.command(client, workload, address, **options), capture_output=True, text=True,
                              timeout=CASE_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"{client} {workload} {options}: {done.stderr.strip()[-400:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def spawn_ready(self, client, workload, address, **options):
        process = subprocess.Popen(self.command(client, workload, address, **options), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = read_line(process, CASE_TIMEOUT)
        if line != "ready":
            process.kill()
            raise RuntimeError(f"{client} {workload}: not ready: {process.stderr.read().decode()[-400:]}")
        return process

    def finish(self, process):
        out, err = process.communicate(timeout=CASE_TIMEOUT)
        if process.returncode != 0:
            raise RuntimeError(err.decode()[-400:])
        return json.loads(out.decode().strip().splitlines()[-1])

    # ---- setup ----

    def start(self):
        for bus in self.buses:
            bus.start()
            log(f"{bus.name}: {bus.address if bus.running else bus.problem}")
            if not bus.running:
                continue
            for client in ["buswork", "sdbus"] + (["kdbus"] if bus.name == KDBUS_BUS else []):
                self.servers[(bus.name, client)] = self.spawn_ready(client, "server", bus.address)

    def stop(self):
        for server in self.servers.values():
            server.kill()
            server.wait()
        self.servers = {}
        for bus in self.buses:
            bus.stop()

    def pin(self, pinned):
        cpus = {int(PINNED_CPU)} if pinned else set(range(os.cpu_count()))
        self.cpus = cpus if pinned else None
        for bus in self.buses:
            if bus.running:
                set_affinity(bus.pids(), cpus)
        set_affinity([s.pid for s in self.servers.values()], cpus)

    # ---- cases: each returns a dict of metrics ----

    def case_rtt(self, bus, client, size):
        return self.run_client(client, "rtt", bus.address, size=size, count=self.counts.rtt)

    def case_pipelined(self, bus, client):
        r = self.run_client(client, "pipeline", bus.address, count=self.counts.pipelined, inflight=self.counts.in_flight)
        return {"calls_per_s": r["calls_per_s"]}

    def case_multi_client(self, bus, client):
        processes = [subprocess.Popen(self.command(client, "pipeline", bus.address, count=self.counts.multi_client,
                                                   inflight=1), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for _ in range(self.counts.multi_clients)]
        results = [self.finish(p) for p in processes]
        start = min(r["start_ns"] for r in results)
        end = max(r["start_ns"] + r["elapsed_s"] * 1e9 for r in results)
        return {"calls_per_s": self.counts.multi_client * len(results) / ((end - start) / 1e9)}

    def case_signals(self, bus, client, subscribers, noise):
        ticks = self.counts.ticks_10 if subscribers <= 10 else self.counts.ticks_100
        subscriber = self.spawn_ready(client, "subscribe", bus.address, connections=subscribers,
                                      rules=self.counts.noise_rules if noise else 0)
        emitted = self.run_client(client, "emit", bus.address, count=ticks)
        received = self.finish(subscriber)
        expected = ticks * subscribers
        end = received["end_ns"] or time.monotonic_ns()
        return {"deliveries_per_s": received["received"] / ((end - emitted["start_ns"]) / 1e9),
                "lost": expected - received["received"]}

    def case_bytes(self, bus, client, size, count, **options):
        r = self.run_client(client, "pipeline", bus.address, size=size, count=count, inflight=1, **options)
        return {"mib_per_s": r["mib_per_s"]}

    def case_match_scale(self, bus, client, k):
        return self.run_client(client, "match-scale", bus.address, rules=2 ** k, count=self.counts.scaling_rtt)

    def case_reply_scale(self, bus, client, k):
        return self.run_client(client, "reply-scale", bus.address, pending=2 ** k, count=self.counts.scaling_rtt)

    def scaling(self, bus, kind, k, case):
        """A scaling case, unless a smaller k already left this bus busy past SETTLE_LIMIT."""
        skipped_from = self.skipped.get((bus.name, kind))
        if skipped_from is not None and k > skipped_from:
            raise SkippedCase(f"skipped: still busy {SETTLE_LIMIT:.0f} s after 2^{skipped_from} {kind}")
        if wait_until_idle(bus, SETTLE_LIMIT) is None:
            raise SkippedCase(f"skipped: still busy from the case before")
        metrics = case(bus, "buswork", k)
        settled = wait_until_idle(bus, SETTLE_LIMIT)
        if settled is None:
            self.skipped[(bus.name, kind)] = k
            log(f"   {bus.name} still busy {SETTLE_LIMIT:.0f} s after 2^{k} {kind}: larger k skipped")
        else:
            metrics["settle_s"] = settled
        return metrics

    def case_connect(self, bus, client):
        return self.run_client(client, "connect", bus.address, count=self.counts.connect)

    def case_idle_rss(self, bus, client):
        before = rss_kib(bus.broker_pid)
        private_before = private_kib(bus.broker_pid)
        holder = self.spawn_ready(client, "idle", bus.address, connections=self.counts.idle_connections)
        time.sleep(0.2)
        after = rss_kib(bus.broker_pid)
        private_after = private_kib(bus.broker_pid)
        holder.stdin.close()
        holder.wait(timeout=CASE_TIMEOUT)
        return {"rss_mib": after / 1024, "rss_before_mib": before / 1024,
                "kib_per_connection": (after - before) / self.counts.idle_connections,
                "private_mib": private_after / 1024,
                "private_kib_per_connection": (private_after - private_before) / self.counts.idle_connections}

    def cases(self, mode):
        """(row name, clients, function(bus, client)) in the order they run."""
        c = self.counts
        rows = [
            ("round trip 8 B", ["buswork", "sdbus", "kdbus"], lambda b, cl: self.case_rtt(b, cl, 8)),
            ("round trip 4 KiB", ["buswork", "sdbus", "kdbus"], lambda b, cl: self.case_rtt(b, cl, 4096)),
            (f"pipelined calls/s ({c.in_flight} in flight)", ["buswork", "sdbus"], self.case_pipelined),
            (f"calls/s, {c.multi_clients} clients -> 1 server", ["buswork", "sdbus"], self.case_multi_client),
            ("signals to 10 subscribers", ["buswork", "sdbus"], lambda b, cl: self.case_signals(b, cl, 10, False)),
            ("signals to 100 subscribers", ["buswork", "sdbus"], lambda b, cl: self.case_signals(b, cl, 100, False)),
            (f"signals to 10, +{c.noise_rules} non-matching rules", ["buswork", "sdbus"],
             lambda b, cl: self.case_signals(b, cl, 10, True)),
            (f"signals to 100, +{c.noise_rules} non-matching rules", ["buswork", "sdbus"],
             lambda b, cl: self.case_signals(b, cl, 100, True)),
            ("ay 1 MiB calls", ["buswork", "sdbus", "kdbus"], lambda b, cl: self.case_bytes(b, cl, 1 << 20, c.bytes_1m)),
            ("ay 16 MiB calls", ["buswork", "sdbus", "kdbus"], lambda b, cl: self.case_bytes(b, cl, 16 << 20, c.bytes_16m)),
            # kdbus only: the array's bytes as a sealed memfd (docs/kdbus-transport.md §8), made
            # for every call as the SwiftBus library does, or made once and re-sent.
            (KDBUS_MEMFD_FRESH_ROW, ["kdbus"], lambda b, cl: self.case_bytes(b, cl, 16 << 20, c.bytes_16m, memfd=1)),
            (KDBUS_MEMFD_ONCE_ROW, ["kdbus"], lambda b, cl: self.case_bytes(b, cl, 16 << 20, c.bytes_16m, memfd=2)),
            (KDBUS_1GIB_ROW, ["kdbus"], lambda b, cl: self.case_bytes(b, cl, 1 << 30, c.bytes_1g, memfd=2)),
            ("connect + SASL + Hello", ["buswork", "sdbus"], self.case_connect),
        ]
        if mode == "unpinned":
            for k in c.scaling_k:
                rows.append((f"round trip, 2^{k} match rules", ["buswork"],
                             lambda b, cl, k=k: self.scaling(b, "match rules", k, self.case_match_scale)))
            for k in c.scaling_k:
                rows.append((f"round trip, 2^{k} pending replies", ["buswork"],
                             lambda b, cl, k=k: self.scaling(b, "pending replies", k, self.case_reply_scale)))
        return [row for row in rows if self.selected(row[0])]

    def selected(self, row):
        return not self.case_filter or any(part in row for part in self.case_filter)

    def idle_row(self):
        return f"broker RSS, {self.counts.idle_connections} idle connections"

    def run(self):
        running = [b for b in self.buses if b.running]
        # Memory first, while every bus is fresh: after the other cases a heap may keep
        # freed pages, which would hide the cost of a connection.
        for bus in running if self.selected(self.idle_row()) else []:
            try:
                self.results[("unpinned", self.idle_row(), "buswork", bus.name)] = [self.case_idle_rss(bus, "buswork")]
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as error:
                self.failures.append(f"idle RSS {bus.name}: {error}")
        for mode in self.counts.modes:
            self.pin(mode == "pinned")
            for repetition in range(self.counts.repetitions):
                log(f"== {mode}, repetition {repetition + 1}/{self.counts.repetitions}")
                for row, clients, function in self.cases(mode):
                    if repetition > 0 and row.startswith("round trip, 2^"):
                        continue  # one pass: each is already a median of many round trips, and k = 17 is slow
                    for client in clients:
                        order = running[repetition % len(running):] + running[:repetition % len(running)]
                        for bus in order:
                            if client == "kdbus" and bus.name != KDBUS_BUS:
                                continue  # only swiftbusd speaks the kdbus transport
                            try:
                                metrics = function(bus, client)
                            except SkippedCase as skipped:
                                self.notes[(mode, row, client, bus.name)] = str(skipped)
                                continue
                            except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as error:
                                self.failures.append(f"{mode} {row} {client} {bus.name}: {error}")
                                log(f"   FAILED {row} / {client} / {bus.name}: {error}")
                                continue
                            self.results.setdefault((mode, row, client, bus.name), []).append(metrics)
                    log(f"   {row}")
                self.measure_floors(mode)
            self.pin(False)

    def measure_floors(self, mode):
        """The round-trip floors of `mode`, once per repetition between the cases, so a floor
        sees the same machine load as the cases divided by it."""
        c = self.counts
        for payload in [8, 4096]:
            size = self.run_client("buswork", "message-size", "-", size=payload)["bytes"]
            name = f"raw socketpair ping-pong, {size} B (= Echo call with {payload} B), {mode}"
            self.floor_samples.setdefault(name, []).append(self.run_client("sdbus", "raw", "-", size=size, count=c.raw))
        name = f"1-byte pipe ping-pong (two pipes), {mode}"
        self.floor_samples.setdefault(name, []).append(self.run_client("sdbus", "pipe", "-", count=c.raw))

    def physical_limits(self):
        """The round-trip floors measured between the cases (raw socketpair ping-pong at the
        sizes of the bus's Echo calls, 1-byte pipe ping-pong), per mode: a pinned round trip is
        divided by a pinned floor (both ends on one CPU). Then memcpy and a new sealed memfd."""
        c = self.counts
        limits = [(name, median(samples, "median_us"), "µs median", median(samples, "p99_us"))
                  for name, samples in self.floor_samples.items()]
        for size, count, label in [(1 << 20, c.memcpy_1m, "1 MiB"), (16 << 20, c.memcpy_16m, "16 MiB")]:
            samples = [self.run_client("sdbus", "memcpy", "-", size=size, count=count) for _ in range(c.repetitions)]
            limits.append((f"memcpy {label}", median(samples, "mib_per_s"), "MiB/s", None))
        samples = [self.run_client("sdbus", "memfd", "-", size=16 << 20, count=c.memfd_16m) for _ in range(c.repetitions)]
        limits.append(("new sealed memfd holding 16 MiB (memfd_create, ftruncate, pwrite, seals)",
                       median(samples, "mib_per_s"), "MiB/s", None))
        return limits


# Round trips in the two callgrind measurements; their difference is what is counted, so the
# connect, Hello and warm-up of each measurement cancel out.
CALLGRIND_CALLS = (500, 2500)
# The same for 1 MiB `Put` calls (payload one way, empty reply).
CALLGRIND_LARGE_CALLS = (4, 20)
# Valgrind slows a bus about fifty-fold; give it time to start.
CALLGRIND_STARTUP_TIMEOUT = 60.0


def callgrind_summary(bus, dump_index):
    path = os.path.join(bus.dir, f"callgrind.out.{bus.broker_pid}.{dump_index}")
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no summary in {path}")


def callgrind_per_round_trip(workdir):
    """Instructions the broker process executes per 8 B round trip (client -> bus -> server
    -> bus -> client), counted by callgrind: repeatable on a noisy machine, unlike time."""
    results = {}
    global SWIFTBUSD, SWIFTBUSD_ARGS
    # Instructions of message handling only: a busy poll would add its idle spins, which
    # depend on how fast valgrind runs the peers.
    SWIFTBUSD_ARGS = SWIFTBUSD_ARGS + ["--busy-poll=0"]
    if os.access(SWIFTBUSD, os.X_OK):
        # valgrind 3.19 gives up on the DWARF of Swift 6.3's release builds ("possibly corrupted
        # debuginfo"); a copy without debug sections runs the same instructions.
        stripped = os.path.join(workdir, "swiftbusd-for-valgrind")
        subprocess.run(["objcopy", "--strip-debug", SWIFTBUSD, stripped], check=True)
        SWIFTBUSD = stripped
    for name in BUS_NAMES:
        bus = Bus(name, workdir, prefix=["valgrind", "--tool=callgrind", "--trace-children=yes"],
                  startup_timeout=CALLGRIND_STARTUP_TIMEOUT)
        bus.prefix.append(f"--callgrind-out-file={bus.dir}/callgrind.out.%p")
        if name == "dbus-broker":
            bus.prefix.append("--trace-children-skip=*python*")
        bus.start()
        if not bus.running or not bus.broker_pid:
            results[name] = bus.problem or "broker process not found"
            bus.stop()
            continue
        server = None
        try:
            server = subprocess.Popen([BUSWORK, "server", bus.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if read_line(server, CALLGRIND_STARTUP_TIMEOUT) != "ready":
                raise RuntimeError("server did not start")
            counts = []
            workloads = [["rtt", f"count={calls}"] for calls in CALLGRIND_CALLS] + \
                        [["pipeline", f"size={1 << 20}", f"count={calls}", "inflight=1"] for calls in CALLGRIND_LARGE_CALLS]
            for index, workload in enumerate(workloads, start=1):
                subprocess.run(["callgrind_control", "-z", str(bus.broker_pid)], capture_output=True, check=True)
                subprocess.run([BUSWORK, workload[0], bus.address] + workload[1:], capture_output=True, check=True,
                               timeout=CASE_TIMEOUT * 5)
                subprocess.run(["callgrind_control", "-d", str(bus.broker_pid)], capture_output=True, check=True)
                counts.append(callgrind_summary(bus, index))
            # rtt makes count + count/10 warm-up calls; pipeline one warm-up call.
            calls = (CALLGRIND_CALLS[1] - CALLGRIND_CALLS[0]) * 11 // 10
            large_calls = CALLGRIND_LARGE_CALLS[1] - CALLGRIND_LARGE_CALLS[0]
            results[name] = ((counts[1] - counts[0]) / calls, (counts[3] - counts[2]) / large_calls)
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            results[name] = f"failed: {error}"
        finally:
            if server:
                server.kill()
                server.wait()
            bus.stop()
        log(f"callgrind {name}: {results[name]}")
    return results


def median(samples, key):
    values = [s[key] for s in samples if key in s]
    return statistics.median(values) if values else None


# Row metric: (key, unit, higher is better)
def metric_of(row):
    if row.startswith("round trip") or row.startswith("connect"):
        return [("median_us", "µs median", False), ("p99_us", "µs p99", False)]
    if "calls/s" in row:
        return [("calls_per_s", "calls/s", True)]
    if row.startswith("signals"):
        return [("deliveries_per_s", "deliveries/s", True), ("lost", "lost", False)]
    if row.startswith("ay"):
        return [("mib_per_s", "MiB/s", True)]
    if row.startswith("broker RSS"):
        return [("rss_mib", "MiB", False), ("kib_per_connection", "KiB/conn", False),
                ("private_mib", "MiB private (anonymous)", False),
                ("private_kib_per_connection", "private KiB/conn", False)]
    return []


def fmt(value):
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1000:
        return f"{int(value)}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def tables(runner, limits):
    lines = []
    buses = {b.name: b for b in runner.buses}
    for mode in runner.counts.modes:
        for client in ["buswork", "sdbus"]:
            label = "buswork (our wire layer)" if client == "buswork" else "sd-bus (libsystemd, C)"
            lines += [f"### {mode}, client: {label}", "",
                      "| case | metric | dbus-daemon | dbus-broker | swiftbusd | swiftbusd / dbus-broker |",
                      "|---|---|---:|---:|---:|---:|"]
            idle = mode == "unpinned" and runner.selected(runner.idle_row())
            rows = runner.cases(mode) + ([(runner.idle_row(), ["buswork"], None)] if idle else [])
            for row, clients, _ in rows:
                if client not in clients:
                    continue
                for key, unit, _ in metric_of(row):
                    cells = []
                    for name in BUS_NAMES:
                        samples = runner.results.get((mode, row, client, name))
                        if not buses[name].running:
                            cells.append(buses[name].problem)
                        elif not samples:
                            cells.append(runner.notes.get((mode, row, client, name), "failed"))
                        else:
                            cells.append(fmt(median(samples, key)))
                    ratio = "—"
                    ours = runner.results.get((mode, row, client, "swiftbusd"))
                    theirs = runner.results.get((mode, row, client, "dbus-broker"))
                    if ours and theirs and key != "lost":
                        a, b = median(ours, key), median(theirs, key)
                        if a is not None and b:
                            ratio = f"{a / b:.2f}×"
                    lines.append(f"| {row} | {unit} | " + " | ".join(cells) + f" | {ratio} |")
            lines.append("")
    lines += kdbus_table(runner, limits)
    lines += ["### Physical limits (same run)", "", "| what | median | unit | p99 |", "|---|---:|---|---:|"]
    for name, value, unit, p99 in limits:
        lines.append(f"| {name} | {fmt(value)} | {unit} | {fmt(p99)} |")
    lines.append("")
    return lines


def kdbus_table(runner, limits):
    """swiftbusd's kdbus transport beside its classic transport and dbus-broker (both with
    the buswork client), and the raw socket: the figures issue 6's goals are stated in."""
    raw = {(mode, size): value for name, value, _, _ in limits for size in (8, 4096) for mode in runner.counts.modes
           if name.endswith(f"Echo call with {size} B), {mode}")}
    pipe = {mode: value for name, value, _, _ in limits for mode in runner.counts.modes
            if name == f"1-byte pipe ping-pong (two pipes), {mode}"}
    lines = []
    for mode in runner.counts.modes:
        lines += [f"### {mode}, kdbus transport (swiftbusd; client: buswork on KDBusChannel)", "",
                  "| case | metric | kdbus | swiftbusd classic | dbus-broker | kdbus / dbus-broker | kdbus / raw socket "
                  "| kdbus / pipe |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for row, clients, _ in runner.cases(mode):
            if "kdbus" not in clients:
                continue
            # The memfd rows compare with the same payload sent classic.
            # The memfd rows compare with the same payload sent classic; 1 GiB has no classic row.
            reference = "ay 16 MiB calls" if row in (KDBUS_MEMFD_FRESH_ROW, KDBUS_MEMFD_ONCE_ROW) else row
            for key, unit, _ in metric_of(row):
                kdbus = median(runner.results.get((mode, row, "kdbus", KDBUS_BUS), []), key)
                classic = median(runner.results.get((mode, reference, "buswork", "swiftbusd"), []), key)
                broker = median(runner.results.get((mode, reference, "buswork", "dbus-broker"), []), key)
                versus_broker = f"{kdbus / broker:.2f}×" if kdbus is not None and broker else "—"
                size = 8 if row == "round trip 8 B" else 4096 if row == "round trip 4 KiB" else None
                floor = raw.get((mode, size)) if key == "median_us" else None
                versus_raw = f"{kdbus / floor:.2f}×" if kdbus is not None and floor else "—"
                bell = pipe.get(mode) if floor else None
                versus_pipe = f"{kdbus / bell:.2f}×" if kdbus is not None and bell else "—"
                lines.append(f"| {row} | {unit} | {fmt(kdbus)} | {fmt(classic)} | {fmt(broker)} | {versus_broker} "
                             f"| {versus_raw} | {versus_pipe} |")
        lines.append("")
    return lines


def callgrind_table(instructions):
    if not instructions:
        return []
    lines = ["### Instructions per call in the broker process (callgrind; swiftbusd with --busy-poll=0)", "",
             "| call | dbus-daemon | dbus-broker | swiftbusd | swiftbusd / dbus-broker |", "|---|---:|---:|---:|---:|"]
    for index, label in enumerate(["8 B round trip (call + reply)", "1 MiB `Put` (call + empty reply)"]):
        values = [v[index] if isinstance(v, tuple) else v for v in (instructions.get(n) for n in BUS_NAMES)]
        cells = [fmt(v) if isinstance(v, float) else str(v) for v in values]
        ours, theirs = values[2], values[1]
        ratio = f"{ours / theirs:.2f}×" if isinstance(ours, float) and isinstance(theirs, float) else "—"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    return lines + [""]


def version(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        return out.splitlines()[0] if out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not available"


def environment():
    cpu = "?"
    cores = os.cpu_count()
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            cpu = line.split(":", 1)[1].strip()
    swiftbusd = version([SWIFTBUSD, "--version"]) if os.access(SWIFTBUSD, os.X_OK) else "not built"
    return [f"- machine: {cpu}, {cores} cores, kernel {platform.release()}",
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- dbus-daemon: {version(['dbus-daemon', '--version'])}",
            f"- dbus-broker: {version(['dbus-broker', '--version'])}",
            f"- swiftbusd: {swiftbusd}, {SWIFTBUSD} (tree at commit "
            f"{version(['git', '-C', os.path.dirname(SWIFTBUSD), 'rev-parse', '--short', 'HEAD'])})"
            + (f", options {' '.join(SWIFTBUSD_ARGS)}" if SWIFTBUSD_ARGS else ""),
            f"- swift: {version(['swift', '--version'])}",
            f"- sd-bus: libsystemd {version(['pkg-config', '--modversion', 'libsystemd'])}"]


def emit_report(lines, output, append=False):
    text = "\n".join(lines)
    print(text, flush=True)
    if output:
        with open(output, "a" if append else "w") as f:
            f.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny counts, one repetition, unpinned only")
    parser.add_argument("--output", help="write the tables (markdown) to this file too")
    parser.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts (a minute or so)")
    parser.add_argument("--repetitions", type=int, help="repetitions of every case (default 3; 1 with --smoke)")
    parser.add_argument("--cases", help="comma-separated substrings: run only the rows whose name contains one "
                        "(e.g. 'round trip 8 B,ay 16 MiB'); the floors are always measured")
    args = parser.parse_args()
    counts = Counts(args.smoke, args.repetitions)
    workdir = tempfile.mkdtemp(prefix="swiftbus-bench.")
    runner = Runner(counts, workdir, [part.strip() for part in (args.cases or "").split(",") if part.strip()])
    started = time.monotonic()
    try:
        runner.start()
        runner.run()
        limits = runner.physical_limits()
        runner.stop()
        lines = ["## Environment", ""] + environment() + [
            f"- command: `Benchmarks/Bus/run.sh{' --smoke' if args.smoke else ''}"
            f"{f' --repetitions {args.repetitions}' if args.repetitions else ''}"
            f"{f' --cases {shlex.quote(args.cases)}' if args.cases else ''}` "
            f"({counts.repetitions} repetitions, medians of per-repetition figures)", ""] + tables(runner, limits)
        if runner.failures:
            lines += ["### Failures", ""] + [f"- {f}" for f in runner.failures] + [""]
        # Written before the slow callgrind pass, so a problem there loses nothing.
        emit_report(lines, args.output)
        if not (args.smoke or args.no_callgrind or args.cases):  # a filtered run measures rows, not the broker
            emit_report(callgrind_table(callgrind_per_round_trip(workdir)), args.output, append=True)
        log(f"took {time.monotonic() - started:.0f} s")
    finally:
        runner.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if runner.failures and args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
