# Activation interop: the bus starts services from .service files for real clients
# (dbus-send, gdbus, busctl, dbus-fast), with dbus-daemon's replies, errors and texts.
import asyncio
import os
import re
import shutil
import tempfile

import pytest
from dbus_fast import Message, MessageFlag, MessageType

from clients import Recorder
from support import BUS_KIND, Bus, DBUS, SendResult, broker_differs, dbus_send, driver_ok, error_of, run

SERVICE = "org.example.Activated"
LAUNCHER = "the helper's launcher reads the host's service directories, not the test's"


def add_service(bus, name, exec_line, extra=""):
    """Writes the file, then ReloadConfig: dbus-daemon notices new files through inotify,
    later than the next client might ask."""
    (bus.services / f"{name}.service").write_text(
        f"[D-BUS Service]\nName={name}\nExec={exec_line}\n{extra}")
    driver_ok(bus, "ReloadConfig")


def add_echo(bus, name=SERVICE):
    """dbus-test-tool echo: takes the name on DBUS_SESSION_BUS_ADDRESS, which the bus sets
    for what it starts on a session bus, and answers every call with an empty reply."""
    add_service(bus, name, f"/usr/bin/dbus-test-tool echo --name={name}")


def start(bus, name):
    return dbus_send(bus, "StartServiceByName", f"string:{name}", "uint32:0")


@broker_differs(LAUNCHER)
def test_start_service_by_name_starts_the_service(bus):
    add_echo(bus)
    assert driver_ok(bus, "StartServiceByName", f"string:{SERVICE}", "uint32:0").value() == 1
    assert driver_ok(bus, "NameHasOwner", f"string:{SERVICE}").value() is True
    assert driver_ok(bus, "StartServiceByName", f"string:{SERVICE}", "uint32:0").value() == 2


@broker_differs(LAUNCHER)
def test_dbus_send_auto_starts_the_destination(bus):
    add_echo(bus)
    result = dbus_send(bus, "Ping", dest=SERVICE, path="/", interface="org.example.Test")
    assert result.rc == 0, result.stderr
    owner = driver_ok(bus, "GetNameOwner", f"string:{SERVICE}").value()
    assert result.sender == owner


@broker_differs(LAUNCHER)
def test_gdbus_call_auto_starts_the_destination(bus):
    add_echo(bus)
    result = run(["gdbus", "call", "--address", bus.address, "--dest", SERVICE, "--object-path", "/",
                  "--method", "org.example.Test.Ping"])
    assert result.stdout.strip() == "()"


async def call_without_auto_start(address, name):
    client = await Recorder.connect(address)
    reply = await client.bus.call(Message(destination=name, path="/", interface="org.example.Test", member="Ping",
                                          flags=MessageFlag.NO_AUTOSTART))
    client.disconnect()
    return (reply.error_name, reply.body)


@broker_differs(LAUNCHER)
def test_no_auto_start_is_refused_then_auto_start_works(bus):
    refused = dbus_send(bus, "Ping", dest=SERVICE, path="/", interface="org.example.Test")
    assert error_of(refused) == ("org.freedesktop.DBus.Error.ServiceUnknown",
                                 f"The name {SERVICE} was not provided by any .service files")
    add_echo(bus)
    assert asyncio.run(call_without_auto_start(bus.address, SERVICE)) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner", [f'Name "{SERVICE}" does not exist'])
    refused = run(["busctl", f"--address={bus.address}", "--auto-start=no", "call", SERVICE, "/",
                   "org.example.Test", "Ping"], check=False)
    # NO_AUTO_START to a name without owner: NameHasNoOwner, which busctl words itself.
    assert refused.returncode != 0
    assert f'Name "{SERVICE}" does not exist' in refused.stderr
    run(["busctl", f"--address={bus.address}", "call", SERVICE, "/", "org.example.Test", "Ping"])


@broker_differs(LAUNCHER)
def test_busctl_list_activatable(bus):
    add_service(bus, "org.example.Listed", "/bin/false")
    result = run(["busctl", f"--address={bus.address}", "list", "--activatable", "--no-legend"])
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert "org.example.Listed" in names
    assert driver_ok(bus, "NameHasOwner", "string:org.example.Listed").value() is False


@broker_differs(LAUNCHER)
def test_service_that_exits_without_its_name(bus):
    add_service(bus, "org.example.Exits", '/bin/sh -c "exit 3"')
    expected = ("org.freedesktop.DBus.Error.Spawn.ChildExited", "Process org.example.Exits exited with status 3")
    assert error_of(start(bus, "org.example.Exits")) == expected
    assert error_of(dbus_send(bus, "Ping", dest="org.example.Exits", path="/", interface="org.example.Test")) == expected


@broker_differs(LAUNCHER)
def test_service_that_daemonizes_still_starts(bus):
    # Exit status 0 is not a failure: the child it left behind takes the name.
    add_service(bus, SERVICE, f'/bin/sh -c "(sleep 0.2; exec /usr/bin/dbus-test-tool echo --name={SERVICE}) & exit 0"')
    assert driver_ok(bus, "StartServiceByName", f"string:{SERVICE}", "uint32:0").value() == 1


@broker_differs(LAUNCHER)
def test_service_that_crashes(bus):
    add_service(bus, "org.example.Crashes", '/bin/sh -c "kill -SEGV $$"')
    assert error_of(start(bus, "org.example.Crashes")) == \
        ("org.freedesktop.DBus.Error.Spawn.ChildSignaled", "Process org.example.Crashes received signal 11")


@broker_differs(LAUNCHER)
def test_service_binary_missing(bus):
    add_service(bus, "org.example.Missing", "/nonexistent/swiftbus-service")
    assert error_of(start(bus, "org.example.Missing")) == \
        ("org.freedesktop.DBus.Error.Spawn.ExecFailed",
         "Failed to execute program org.example.Missing: No such file or directory")


@broker_differs(LAUNCHER)
@pytest.mark.bus_limits({"service_start_timeout": 300})
def test_service_that_never_takes_its_name_times_out(bus):
    add_service(bus, "org.example.Silent", "/bin/sleep 30")
    assert error_of(start(bus, "org.example.Silent")) == \
        ("org.freedesktop.DBus.Error.TimedOut",
         "Failed to activate service 'org.example.Silent': timed out (service_start_timeout=300ms)")


@broker_differs(LAUNCHER)
def test_update_activation_environment_reaches_the_service(bus):
    record = bus.dir / "environment.txt"
    add_service(bus, SERVICE, f'/bin/sh -c "env > {record}; exec /usr/bin/dbus-test-tool echo --name={SERVICE}"')
    driver_ok(bus, "UpdateActivationEnvironment", "dict:string:string:SWIFTBUS_ACTIVATION,on")
    assert driver_ok(bus, "StartServiceByName", f"string:{SERVICE}", "uint32:0").value() == 1
    lines = record.read_text().splitlines()
    assert "SWIFTBUS_ACTIVATION=on" in lines
    assert "DBUS_STARTER_BUS_TYPE=session" in lines
    starter = [line for line in lines if line.startswith("DBUS_STARTER_ADDRESS=")]
    assert starter and starter[0].startswith(f"DBUS_STARTER_ADDRESS=unix:path={bus.socket}")


def bus_with_policy(rule):
    """A bus like the `bus` fixture's whose default policy also has `rule`."""
    directory = tempfile.mkdtemp(prefix="sbi-")
    b = Bus(BUS_KIND, directory)
    b.config.write_text(b.config.read_text().replace("</policy>", f"  {rule}\n  </policy>"))
    b.start()
    yield b
    survived = b.alive()
    b.stop()
    shutil.rmtree(directory, ignore_errors=True)
    assert survived, f"{b.kind} died during the test"


@pytest.fixture
def denying_bus():
    """A bus whose policy denies sending to org.example.Denied."""
    if BUS_KIND == "dbus-broker":
        pytest.skip(f"dbus-broker: {LAUNCHER}")
    yield from bus_with_policy('<deny send_destination="org.example.Denied"/>')


@pytest.fixture
def shared_bus():
    """A bus every user may connect to."""
    if BUS_KIND == "dbus-broker":
        pytest.skip("dbus-broker: its harness's bus does not let a second user register (checked: no Hello reply)")
    yield from bus_with_policy('<allow user="*"/>')


def test_update_activation_environment_needs_a_privileged_caller(shared_bus):
    bus = shared_bus
    # Only root and the bus's own user may change what every service is started with.
    os.chmod(bus.dir, 0o755)
    os.chmod(bus.socket, 0o777)
    nobody = SendResult(run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "dbus-send",
                             f"--bus={bus.address}", "--print-reply", f"--dest={DBUS}", "/org/freedesktop/DBus",
                             f"{DBUS}.UpdateActivationEnvironment", "dict:string:string:A,b"], check=False))
    assert nobody.error_name == "org.freedesktop.DBus.Error.AccessDenied", nobody.stderr
    if BUS_KIND != "dbus-broker":
        assert re.fullmatch(r'rejected attempt to call UpdateActivationEnvironment by connection :1\.\d+ '
                            r'\(uid=65534 pid=\d+ comm="dbus-send[^"]*"\) with uid 65534', nobody.error_text), \
            nobody.error_text
    driver_ok(bus, "UpdateActivationEnvironment", "dict:string:string:A,b")




def test_send_policy_is_checked_before_activation(denying_bus):
    marker = denying_bus.dir / "started"
    add_service(denying_bus, "org.example.Denied", f'/bin/sh -c "touch {marker}"')
    result = dbus_send(denying_bus, "Ping", dest="org.example.Denied", path="/", interface="org.example.Test")
    assert result.error_name == "org.freedesktop.DBus.Error.AccessDenied"
    assert re.fullmatch(
        r'Rejected send message, 2 matched rules; type="method_call", sender=":1\.\d+" \(uid=\d+ pid=\d+ '
        r'comm="[^"]*"\) interface="org.example.Test" member="Ping" error name="\(unset\)" requested_reply="0" '
        r'destination="org.example.Denied" \(bus\)', result.error_text), result.error_text
    assert not marker.exists()


# --systemd-activation: a client playing systemd owns org.freedesktop.systemd1.

@pytest.fixture
def systemd_bus():
    if BUS_KIND == "dbus-broker":
        pytest.skip("dbus-broker's launcher is systemd's own: no --systemd-activation to test")
    directory = tempfile.mkdtemp(prefix="sbi-")
    b = Bus(BUS_KIND, directory)
    plain = b.command
    b.command = lambda: plain() + ["--systemd-activation"]
    b.start()
    yield b
    survived = b.alive()
    b.stop()
    shutil.rmtree(directory, ignore_errors=True)
    assert survived, f"{b.kind} died during the test"


async def systemd_scenario(bus, fail):
    systemd = await Recorder.connect(bus.address)
    await systemd.driver("RequestName", "su", ["org.freedesktop.systemd1", 0])
    caller = await Recorder.connect(bus.address)
    started = asyncio.ensure_future(caller.bus.call(Message(
        destination=DBUS, path="/org/freedesktop/DBus", interface=DBUS, member="StartServiceByName",
        signature="su", body=[SERVICE, 0])))
    await caller.driver("UpdateActivationEnvironment", "a{ss}", [{"SWIFTBUS_A": "one"}])
    forwarded = await systemd.wait_for(
        lambda messages: next((m for m in messages if m.member == "SetEnvironment"), None), "SetEnvironment")
    assert (forwarded.sender, forwarded.path, forwarded.interface, forwarded.body) == \
        (DBUS, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", [["SWIFTBUS_A=one"]])
    request = await systemd.wait_for(
        lambda messages: next((m for m in messages if m.member == "ActivationRequest"), None), "ActivationRequest")
    assert (request.sender, request.path, request.interface, request.destination, request.body) == \
        (DBUS, "/org/freedesktop/DBus", "org.freedesktop.systemd1.Activator", "org.freedesktop.systemd1",
         ["example-activated.service"])
    if fail:
        await systemd.bus.send(Message(message_type=MessageType.SIGNAL, destination=DBUS, path="/org/freedesktop/systemd1",
                                       interface="org.freedesktop.systemd1.Activator", member="ActivationFailure",
                                       signature="sss", body=["example-activated.service",
                                                              "org.freedesktop.systemd1.NoSuchUnit", "no such unit"]))
        reply = await asyncio.wait_for(started, 10)
        assert (reply.message_type, reply.error_name, reply.body) == \
            (MessageType.ERROR, "org.freedesktop.systemd1.NoSuchUnit", ["no such unit"])
    else:
        service = await Recorder.connect(bus.address)
        await service.driver("RequestName", "su", [SERVICE, 0])
        reply = await asyncio.wait_for(started, 10)
        assert (reply.message_type, reply.body) == (MessageType.METHOD_RETURN, [1])
    for client in (systemd, caller):
        client.disconnect()


def test_systemd_activation_request_then_the_service_appears(systemd_bus):
    add_service(systemd_bus, SERVICE, "/bin/false", "SystemdService=example-activated.service\n")
    asyncio.run(systemd_scenario(systemd_bus, fail=False))


def test_systemd_activation_failure_fails_the_start(systemd_bus):
    add_service(systemd_bus, SERVICE, "/bin/false", "SystemdService=example-activated.service\n")
    asyncio.run(systemd_scenario(systemd_bus, fail=True))
