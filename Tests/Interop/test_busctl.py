# busctl (systemd 252) against the bus: list, status, call, introspect, tree and monitor,
# with a dbus-fast service on the other side of the calls.
import json
import os

import pytest

from support import (CONDITION_TIMEOUT, DBUS, ECHO, ECHO_PATH, broker_differs, read_line, run,
                     start_echo_service, wait_until)


def busctl(bus, *args):
    return run(["busctl", f"--address={bus.address}", "--no-pager", *args]).stdout


def status_fields(text):
    """KEY=value lines of `busctl status`; continuation lines (capabilities) are skipped."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@broker_differs("the driver's pid is the launcher's")
def test_list_shows_names_with_owner_pid_and_connection(bus, procs):
    service, unique = start_echo_service(bus, procs)
    rows = {line.split()[0]: line.split() for line in busctl(bus, "list").splitlines()[1:]}
    assert rows[ECHO][1:5] == [str(service.pid), "python", "root", unique]
    assert rows[unique][1:5] == [str(service.pid), "python", "root", unique]
    assert rows[DBUS][1] == str(bus.pid())


def test_status_of_a_service(bus, procs):
    service, unique = start_echo_service(bus, procs)
    fields = status_fields(busctl(bus, "status", ECHO))
    assert fields["PID"] == str(service.pid)
    assert fields["UID"] == str(os.getuid())
    assert fields["UniqueName"] == unique
    assert fields["Comm"] == "python"


@broker_differs("the driver's pid is the launcher's")
def test_status_of_the_bus(bus):
    fields = status_fields(busctl(bus, "status"))
    assert fields["PID"] == str(bus.pid())


@pytest.mark.parametrize("arguments, output", [
    (["EchoString", "s", "hello"], 's "hello"'),
    (["Sum", "ai", "3", "1", "2", "3"], "x 6"),
    (["EchoDict", "a{sv}", "2", "a", "s", "x", "b", "i", "5"], 'a{sv} 2 "a" s "x" "b" i 5'),
    (["Echo", "v", "s", "hi"], 'v s "hi"'),
    (["Echo", "v", "ai", "2", "4", "5"], "v ai 2 4 5"),
    (["EchoStruct", "(is)", "7", "seven"], '(is) 7 "seven"'),
])
def test_call(bus, procs, arguments, output):
    start_echo_service(bus, procs)
    assert busctl(bus, "call", ECHO, ECHO_PATH, ECHO, *arguments) == output + "\n"


def test_call_the_driver(bus):
    assert busctl(bus, "call", DBUS, "/org/freedesktop/DBus", DBUS, "NameHasOwner", "s",
                  DBUS) == "b true\n"


def test_call_error(bus):
    result = run(["busctl", f"--address={bus.address}", "call", DBUS, "/org/freedesktop/DBus",
                  DBUS, "GetNameOwner", "s", "org.example.Nobody"], check=False)
    assert result.returncode == 1
    assert result.stderr == \
        "Call failed: Could not get owner of name 'org.example.Nobody': no such name\n" \
        or "Call failed:" in result.stderr and bus.kind == "dbus-broker"


def test_introspect(bus, procs):
    start_echo_service(bus, procs)
    rows = [line.split() for line in busctl(bus, "introspect", ECHO, ECHO_PATH).splitlines()]
    assert ["org.example.Echo", "interface", "-", "-", "-"] in rows
    assert [".EchoDict", "method", "a{sv}", "a{sv}", "-"] in rows
    assert [".ReadFd", "method", "h", "s", "-"] in rows
    # The property value is fetched with Properties.Get through the bus.
    assert [".Greeting", "property", "s", '"hello"', "emits-change"] in rows
    assert [".Pinged", "signal", "s", "-", "-"] in rows


def test_introspect_the_bus(bus):
    rows = [line.split() for line in
            busctl(bus, "introspect", DBUS, "/org/freedesktop/DBus").splitlines()]
    assert [".GetNameOwner", "method", "s", "s", "-"] in rows
    assert [".NameOwnerChanged", "signal", "sss", "-", "-"] in rows


def test_tree(bus, procs):
    start_echo_service(bus, procs)
    assert busctl(bus, "tree", ECHO) == \
        "└─/org\n  └─/org/example\n    └─/org/example/Echo\n"


def test_monitor_sees_a_call_and_its_reply(bus, procs):
    _, unique = start_echo_service(bus, procs)
    monitor = procs.start(["busctl", f"--address={bus.address}", "monitor", "--json=short"])
    assert read_line(monitor.stderr, CONDITION_TIMEOUT) == "Monitoring bus message stream."
    busctl(bus, "call", ECHO, ECHO_PATH, ECHO, "EchoString", "s", "through the monitor")

    seen = []

    def call_and_reply():
        line = read_line(monitor.stdout, CONDITION_TIMEOUT)
        if line:
            seen.append(json.loads(line))
        calls = [m for m in seen if m["type"] == "method_call" and m.get("member") == "EchoString"]
        replies = [m for m in seen if m["type"] == "method_return" and calls
                   and m.get("reply_cookie") == calls[0]["cookie"]
                   and m.get("destination") == calls[0]["sender"]]
        return (calls[0], replies[0]) if replies else None

    call, reply = wait_until(call_and_reply, what="the call and its reply in busctl monitor")
    assert call["destination"] == ECHO and call["path"] == ECHO_PATH
    assert call["payload"] == {"type": "s", "data": ["through the monitor"]}
    assert reply["sender"] == unique
    assert reply["payload"] == {"type": "s", "data": ["through the monitor"]}
