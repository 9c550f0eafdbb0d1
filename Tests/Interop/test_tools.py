# dbus-monitor, gdbus and dbus-test-tool against the bus, with a dbus-fast service to talk to.
import asyncio
import os
import re
import select
import signal

import pytest

from clients import Recorder
from support import (CONDITION_TIMEOUT, ECHO, ECHO_PATH, dbus_send, run,
                     start_echo_service, wait_until)


class LineReader:
    """Collects a background tool's stdout lines as they come (partial lines wait)."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.pending = b""
        self.lines = []

    def until(self, predicate, what):
        def step():
            if select.select([self.fd], [], [], READ_SLICE)[0]:
                self.pending += os.read(self.fd, 65536)
                *complete, self.pending = self.pending.split(b"\n")
                self.lines += [line.decode(errors="replace").strip() for line in complete]
            return predicate(self.lines)
        return wait_until(step, what=f"{what}; got {self.lines}")


# How long one wait for a tool's output blocks before the condition is checked again.
READ_SLICE = 0.05


def gdbus(bus, *args):
    return run(["gdbus", *args[:1], "--address", bus.address, *args[1:]]).stdout


def start_dbus_monitor(bus, procs, *rules):
    monitor = procs.start(["dbus-monitor", "--address", bus.address, *rules])
    reader = LineReader(monitor.stdout)
    # With BecomeMonitor, the monitor's own unique name is taken back: NameLost says the
    # monitor is in place.
    reader.until(lambda lines: any("member=NameLost" in l for l in lines), "dbus-monitor ready")
    return reader


def test_dbus_monitor_sees_a_call_and_its_reply(bus, procs):
    _, unique = start_echo_service(bus, procs)
    monitor = start_dbus_monitor(bus, procs)
    sent = dbus_send(bus, "EchoString", "string:seen by the monitor", dest=ECHO, path=ECHO_PATH,
                     interface=ECHO)
    assert sent.rc == 0
    caller = sent.me

    def pair(lines):
        call = [i for i, l in enumerate(lines) if l.startswith(f"method call ") and
                f"sender={caller} -> destination={ECHO} " in l and "member=EchoString" in l]
        ret = [i for i, l in enumerate(lines) if l.startswith("method return ") and
               f"sender={unique} -> destination={caller} " in l]
        return (call[0], ret[0]) if call and ret and ret[0] + 1 < len(lines) else None

    call, ret = monitor.until(pair, "the call and the reply")
    assert monitor.lines[call + 1] == 'string "seen by the monitor"'
    assert monitor.lines[ret + 1] == 'string "seen by the monitor"'
    assert call < ret


@pytest.mark.parametrize("method, arguments, output", [
    ("EchoString", ["hello"], "('hello',)"),
    ("Sum", ["[1, 2, 39]"], "(int64 42,)"),
    ("EchoDict", ["{'a': <'x'>, 'b': <int32 5>}"], "({'a': <'x'>, 'b': <5>},)"),
    ("Echo", ["<(1, 'one')>"], "(<(1, 'one')>,)"),
    ("EchoStruct", ["(7, 'seven')"], "((7, 'seven'),)"),
])
def test_gdbus_call(bus, procs, method, arguments, output):
    start_echo_service(bus, procs)
    assert gdbus(bus, "call", "--dest", ECHO, "--object-path", ECHO_PATH, "--method",
                 f"{ECHO}.{method}", *arguments) == output + "\n"


def test_gdbus_call_driver_error(bus):
    result = run(["gdbus", "call", "--address", bus.address, "--dest", "org.freedesktop.DBus",
                  "--object-path", "/org/freedesktop/DBus", "--method",
                  "org.freedesktop.DBus.GetNameOwner", "org.example.Nobody"], check=False)
    assert result.returncode == 1
    assert "GDBus.Error:org.freedesktop.DBus.Error.NameHasNoOwner:" in result.stderr


def test_gdbus_introspect(bus, procs):
    start_echo_service(bus, procs)
    text = gdbus(bus, "introspect", "--dest", ECHO, "--object-path", ECHO_PATH)
    section = text[text.index("  interface org.example.Echo {"):]
    assert "      EchoString(in  s value,\n                 out s arg_1);\n" in section
    assert "      ReadFd(in  h fd,\n             out s arg_1);\n" in section
    assert "    signals:\n      Pinged(s arg_0);\n" in section
    # The value comes from a Properties.Get that the bus routes to the service.
    assert "      readonly s Greeting = 'hello';\n" in section


def test_gdbus_introspect_the_bus(bus):
    text = gdbus(bus, "introspect", "--dest", "org.freedesktop.DBus", "--object-path",
                 "/org/freedesktop/DBus")
    assert "  interface org.freedesktop.DBus {\n" in text
    assert "      GetNameOwner(in  s arg_0,\n                   out s arg_1);\n" in text


def test_gdbus_monitor_sees_a_signal(bus, procs):
    _, unique = start_echo_service(bus, procs)
    monitor = procs.start(["gdbus", "monitor", "--address", bus.address, "--dest", ECHO])
    reader = LineReader(monitor.stdout)
    reader.until(lambda lines: f"The name {ECHO} is owned by {unique}" in lines, "gdbus monitor")
    gdbus(bus, "call", "--dest", ECHO, "--object-path", ECHO_PATH, "--method", f"{ECHO}.Emit",
          "ping")
    reader.until(lambda lines: "/org/example/Echo: org.example.Echo.Pinged ('ping',)" in lines,
                 "the Pinged signal")


def test_gdbus_emit_reaches_a_match(bus, procs):
    monitor = start_dbus_monitor(bus, procs, "type='signal',interface='org.example.Sig'")
    run(["gdbus", "emit", "--session", "--object-path", "/org/example/Obj", "--signal",
         "org.example.Sig.Hello", "'x'", "42"], env=bus.env())

    def emitted(lines):
        found = [i for i, l in enumerate(lines) if l.startswith("signal ") and
                 "path=/org/example/Obj; interface=org.example.Sig; member=Hello" in l]
        return found[0] if found and found[0] + 2 < len(lines) else None

    index = monitor.until(emitted, "the emitted signal")
    assert re.search(r"sender=:1\.\d+ -> destination=\(null destination\)", monitor.lines[index])
    assert monitor.lines[index + 1:index + 3] == ['string "x"', "int32 42"]


def test_dbus_test_tool_echo_and_spam(bus, procs):
    echo = procs.start(["dbus-test-tool", "echo", "--name=org.example.TestEcho"], env=bus.env())
    wait_until(lambda: dbus_send(bus, "NameHasOwner", "string:org.example.TestEcho").stdout
               .endswith("boolean true\n"), what="dbus-test-tool echo to own its name")
    reply = dbus_send(bus, "Anything", "string:x", dest="org.example.TestEcho", path="/x",
                      interface="org.example.Any")
    assert reply.rc == 0 and reply.body == ""
    spam = run(["dbus-test-tool", "spam", "--dest=org.example.TestEcho", "--count=2000",
                "--queue=20"], env=bus.env())
    assert spam.returncode == 0
    assert echo.poll() is None


def test_dbus_test_tool_spam_the_driver_flood(bus):
    # The default destination is the bus itself, which answers UnknownMethod to each.
    result = run(["dbus-test-tool", "spam", "--count=500", "--flood", "--ignore-errors"],
                 env=bus.env())
    assert result.returncode == 0


async def no_reply_scenario(address, hole):
    caller = await Recorder.connect(address)
    from dbus_fast import Message
    pending = asyncio.ensure_future(caller.bus.call(Message(
        destination="org.example.Hole", path="/x", interface="org.example.Any", member="Call")))
    # Per-connection order: once the bus answers this Ping it has routed the call above.
    await caller.driver("Ping", interface="org.freedesktop.DBus.Peer")
    os.killpg(hole.pid, signal.SIGTERM)
    reply = await asyncio.wait_for(pending, CONDITION_TIMEOUT)
    caller.disconnect()
    return reply


def test_dbus_test_tool_black_hole_then_no_reply(bus, procs):
    hole = procs.start(["dbus-test-tool", "black-hole", "--name=org.example.Hole"], env=bus.env())
    wait_until(lambda: dbus_send(bus, "NameHasOwner", "string:org.example.Hole").stdout
               .endswith("boolean true\n"), what="black-hole to own its name")
    timed_out = dbus_send(bus, "Call", dest="org.example.Hole", path="/x",
                          interface="org.example.Any", extra=["--reply-timeout=200"])
    assert timed_out.error_name == "org.freedesktop.DBus.Error.NoReply"
    reply = asyncio.run(no_reply_scenario(bus.address, hole))
    assert reply.error_name == "org.freedesktop.DBus.Error.NoReply"
    assert reply.body == ["Message recipient disconnected from message bus without replying"] \
        or bus.kind == "dbus-broker"
