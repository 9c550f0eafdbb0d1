# Bad input from raw sockets: each abuse ends or limits only the abusing peer, swiftbusd logs
# a line naming it, and a well-behaved peer keeps round-tripping through the bus throughout.
import asyncio
import json
import re
import subprocess
import sys
import pathlib

import pytest

from clients import Recorder
from support import (CONDITION_TIMEOUT, broker_differs, read_line, start_echo_service,
                     track, wait_until)

HERE = pathlib.Path(__file__).parent
# Limits the bad-input buses run with (dbus-daemon's defaults let a never-reading peer
# grow the bus by hundreds of MiB): a peer's queues are capped at 1 MiB each way.
LIMITS = {"max_outgoing_bytes": 1048576, "max_incoming_bytes": 1048576}
# How far the bus's resident memory may grow while a peer floods it with 128 MiB of
# replies it never reads.
FLOOD_GROWTH_LIMIT = 32 * 1024 * 1024
# How long a bad peer may take to report what the bus did to it.
ABUSE_TIMEOUT = 60.0

pytestmark = pytest.mark.bus_limits(LIMITS)


class Steady:
    """The well-behaved peer: a dbus-fast client round-tripping through the bus on demand."""

    def __init__(self, bus, procs):
        start_echo_service(bus, procs)
        self.proc = procs.start([sys.executable, str(HERE / "steady_client.py"), bus.address],
                                stdin=subprocess.PIPE)
        line = read_line(self.proc.stdout, CONDITION_TIMEOUT)
        assert line.startswith("ready "), line
        self.count = 0
        self.round_trip()

    def round_trip(self):
        self.count += 1
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        line = read_line(self.proc.stdout, CONDITION_TIMEOUT)
        assert line == f"ok {self.count}", f"the well-behaved peer was disturbed: {line!r}"


@pytest.fixture
def steady(bus, procs):
    return Steady(bus, procs)


def abuse(bus, procs, scenario):
    peer = procs.start([sys.executable, str(HERE / "bad_peer.py"), scenario, str(bus.socket)])
    line = read_line(peer.stdout, ABUSE_TIMEOUT)
    assert line, f"{scenario}: no report; stderr: {peer.stderr.read1().decode()}"
    return json.loads(line)


def assert_logged(bus, report):
    """swiftbusd logs one line naming the peer (unique name, or pid when it had none).
    The reference buses log differently, or not at all, so only swiftbusd is held to it."""
    if bus.kind != "swiftbusd":
        return
    names = [re.escape(report["unique"]) + r"(?!\d)"] if report["unique"] else []
    names.append(rf"pid[ =:]*{report['pid']}(?!\d)")
    pattern = re.compile("|".join(names))
    wait_until(lambda: any(pattern.search(line) for line in bus.stderr().splitlines()),
               what=f"a log line naming {report}; stderr: {bus.stderr()[-2000:]}")


@pytest.mark.parametrize("scenario", ["malformed", "huge_length", "fd_mismatch"])
def test_bad_message_ends_only_that_peer(bus, procs, steady, scenario):
    report = abuse(bus, procs, scenario)
    assert report["outcome"] == "closed", report
    steady.round_trip()
    assert_logged(bus, report)
    steady.round_trip()


@pytest.mark.parametrize("scenario, outcomes", [
    ("sasl_garbage", {"closed", "limited"}),
    ("sasl_overlong", {"closed"}),
    pytest.param("sasl_too_many", {"closed"}, marks=broker_differs(
        "answers every bogus AUTH with REJECTED and keeps the connection")),
    ("sasl_wrong_uid", {"closed", "limited"}),
])
def test_sasl_abuse_ends_only_that_peer(bus, procs, steady, scenario, outcomes):
    report = abuse(bus, procs, scenario)
    assert report["outcome"] in outcomes, report
    steady.round_trip()
    if report["outcome"] == "closed":
        assert_logged(bus, report)
    steady.round_trip()


async def forged_sender_scenario(bus):
    listener = await Recorder.connect(bus.address)
    await listener.driver("AddMatch", "s", ["type='signal',interface='org.example.Forged'"])
    peer = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "bad_peer.py"), "forged_sender", str(bus.socket),
        stdout=subprocess.PIPE, start_new_session=True)
    track(peer.pid)
    try:
        report = json.loads(await asyncio.wait_for(peer.stdout.readline(), ABUSE_TIMEOUT))
        signals = await listener.wait_for(
            lambda ms: [m for m in ms if m.member == "Claim"], "the forged signal")
    finally:
        peer.kill()
        await peer.wait()
    listener.disconnect()
    return report, signals[0]


def test_forged_sender_is_overwritten(bus, steady):
    report, signal = asyncio.run(forged_sender_scenario(bus))
    assert report["outcome"] == "served", report
    assert signal.sender == report["unique"]
    assert signal.body == ["forged"]
    steady.round_trip()


def resident_bytes(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) * 1024


@broker_differs("the helper's config sets no <limit>; its default quota exceeds this bound")
def test_peer_that_never_reads_is_limited(bus, procs, steady):
    before = resident_bytes(bus.pid())
    report = abuse(bus, procs, "never_reads")
    assert report["outcome"] in {"closed", "limited", "sent all"}, report
    # The flooding peer is still there (or was disconnected); everyone else is served.
    steady.round_trip()
    growth = resident_bytes(bus.pid()) - before
    assert growth < FLOOD_GROWTH_LIMIT, f"the bus grew by {growth} bytes: {report}"
    assert_logged(bus, report)
    steady.round_trip()
