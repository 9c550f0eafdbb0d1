# Python clients nobody here wrote: dbus-fast (both ends of a call, signals, an fd),
# dbus-python under the system interpreter, python-dbusmock starting the bus under test as
# "dbus-daemon", and dbus-run-session with the bus under test as its daemon.
import asyncio
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.service import ServiceInterface, method

from clients import Recorder
from support import (BUS_KIND, CONDITION_TIMEOUT, ECHO, ECHO_PATH, run,
                     start_echo_service, stop_group, swiftbusd_gap, swiftbusd_path, track,
                     wait_until)

HERE = pathlib.Path(__file__).parent
# dbus-run-session starts a bus, runs one dbus-send and stops the bus: well under a second.
RUN_SESSION_TIMEOUT = 5


def echo_call(member, signature, body, fds=()):
    return Message(destination=ECHO, path=ECHO_PATH, interface=ECHO, member=member,
                   signature=signature, body=list(body), unix_fds=list(fds))


async def call_echo_service(address):
    client = await Recorder.connect(address, negotiate_unix_fd=True)
    results = []
    for member, signature, body in [
        ("EchoString", "s", ["ünïcode"]),
        ("Sum", "ai", [[1, 2, 3, 4]]),
        ("EchoDict", "a{sv}", [{"k": Variant("as", ["a", "b"]), "n": Variant("t", 2**40)}]),
        ("EchoStruct", "(is)", [[-5, "minus five"]]),
        ("Echo", "v", [Variant("a{ss}", {"x": "y"})]),
    ]:
        reply = await client.bus.call(echo_call(member, signature, body))
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
        results.append(reply.body)
    read_end, write_end = os.pipe()
    os.write(write_end, b"fd through the bus")
    os.close(write_end)
    reply = await client.bus.call(echo_call("ReadFd", "h", [0], fds=[read_end]))
    os.close(read_end)
    results.append(reply.body)
    client.disconnect()
    return results


def test_dbus_fast_calls_a_service_and_passes_an_fd(bus, procs):
    start_echo_service(bus, procs)
    results = asyncio.run(call_echo_service(bus.address))
    assert results == [
        ["ünïcode"], [10],
        [{"k": Variant("as", ["a", "b"]), "n": Variant("t", 2**40)}],
        [(-5, "minus five")], [Variant("a{ss}", {"x": "y"})],
        ["fd through the bus"],
    ]


class Greeter(ServiceInterface):
    def __init__(self):
        super().__init__("org.example.Greeter")

    @method()
    def Greet(self, name: "s") -> "s":
        return f"hello, {name}"


async def serve_and_get_called(address):
    service = await Recorder.connect(address)
    service.bus.export("/org/example/Greeter", Greeter())
    await service.driver("RequestName", "su", ["org.example.Greeter", 4])
    process = await asyncio.create_subprocess_exec(
        "dbus-send", f"--bus={address}", "--print-reply=literal", "--dest=org.example.Greeter",
        "/org/example/Greeter", "org.example.Greeter.Greet", "string:dbus-send",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), CONDITION_TIMEOUT)
    service.disconnect()
    return process.returncode, out.decode(), err.decode()


def test_dbus_fast_service_called_by_dbus_send(bus):
    assert asyncio.run(serve_and_get_called(bus.address)) == (0, "   hello, dbus-send", "")


async def signal_scenario(address):
    listener = await Recorder.connect(address)
    await listener.driver("AddMatch", "s", [f"type='signal',interface='{ECHO}',member='Pinged'"])
    process = await asyncio.create_subprocess_exec(
        "dbus-send", f"--bus={address}", "--print-reply", f"--dest={ECHO}", ECHO_PATH,
        f"{ECHO}.Emit", "string:to every match", stdout=subprocess.DEVNULL)
    await process.wait()
    signal = await listener.wait_for(
        lambda ms: [m for m in ms if m.message_type == MessageType.SIGNAL and m.member == "Pinged"],
        "Pinged")
    listener.disconnect()
    return signal[0]


def test_dbus_fast_receives_a_signal(bus, procs):
    _, unique = start_echo_service(bus, procs)
    signal = asyncio.run(signal_scenario(bus.address))
    assert (signal.sender, signal.path, signal.body) == (unique, ECHO_PATH, ["to every match"])


def test_dbus_python_under_system_python(bus, procs):
    _, unique = start_echo_service(bus, procs)
    result = run(["/usr/bin/python3", str(HERE / "dbus_python_client.py"), bus.address])
    data = json.loads(result.stdout)
    assert data["string"] == "héllo"
    assert data["sum"] == 6
    assert data["dict"] == {"a": "x"}
    assert data["fd"] == "through a descriptor"
    assert data["owner"] == unique
    assert data["unique"].startswith(":1.")


def bus_executable():
    """The binary a `dbus-daemon` command should run for the bus under test."""
    if BUS_KIND == "swiftbusd":
        return os.path.realpath(swiftbusd_path())
    return os.path.realpath(shutil.which("dbus-daemon"))


requires_daemon_command_line = pytest.mark.skipif(
    BUS_KIND == "dbus-broker",
    reason="dbus-broker does not take dbus-daemon's command line; nothing to stand in for")


@requires_daemon_command_line
def test_python_dbusmock_starts_the_bus_as_dbus_daemon():
    with tempfile.TemporaryDirectory(prefix="sbi-path-") as bin_dir:
        os.symlink(bus_executable(), os.path.join(bin_dir, "dbus-daemon"))
        env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}",
                   EXPECTED_BUS_EXE=bus_executable())
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        result = run([sys.executable, str(HERE / "dbusmock_case.py")], env=env, check=False,
                     timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Ran 3 tests" in result.stderr and "\nOK\n" in result.stderr + "\n"


@requires_daemon_command_line
def test_dbus_run_session_with_the_bus_as_daemon():
    script = ('dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus '
              '/org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID '
              'string:org.freedesktop.DBus; echo "$DBUS_SESSION_BUS_ADDRESS"; exit 7')
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    process = subprocess.Popen(["dbus-run-session", f"--dbus-daemon={bus_executable()}", "--",
                                "sh", "-c", script], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    track(process.pid)
    try:
        out, err = process.communicate(timeout=RUN_SESSION_TIMEOUT)
    finally:
        stop_group(process)
    assert process.returncode == 7, err
    pid_line, address = out.splitlines()
    bus_pid = int(pid_line.split()[1])
    assert address.startswith("unix:")
    # dbus-run-session stops the bus when the command ends; nothing is left running.
    wait_until(lambda: not process_running(bus_pid), what=f"bus pid {bus_pid} to exit")


def process_running(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
