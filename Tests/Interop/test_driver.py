# The org.freedesktop.DBus driver through dbus-send: every method of the spec, its reply
# and its errors, with names and texts as dbus-daemon 1.14 gives them.
import os
import re
import xml.etree.ElementTree as ElementTree

import dbus
import pytest

from support import (BUS_KIND, DBUS, UNIQUE_NAME, SendResult, broker_differs, driver_error,
                     driver_ok, error_of, run, wait_until)

# RequestName flags and replies (spec: "Message Bus Messages").
ALLOW_REPLACEMENT, REPLACE_EXISTING, DO_NOT_QUEUE = 1, 2, 4
PRIMARY_OWNER, IN_QUEUE, EXISTS, ALREADY_OWNER = 1, 2, 3, 4
RELEASED, NON_EXISTENT, NOT_OWNER = 1, 2, 3

NAME = "org.example.Interop"


def request(bus, name, flags):
    return driver_ok(bus, "RequestName", f"string:{name}", f"uint32:{flags}").value()


def owner_of(bus, name):
    return driver_ok(bus, "GetNameOwner", f"string:{name}").value()


def dbus_proxy(connection):
    return dbus.Interface(connection.get_object(DBUS, "/org/freedesktop/DBus"), DBUS)


def test_hello_is_implicit_and_names_the_caller(bus):
    result = driver_ok(bus, "GetNameOwner", f"string:{DBUS}")
    assert result.value() == DBUS
    assert re.fullmatch(r":1\.\d+", result.me)


def test_second_hello_fails(bus):
    result = driver_error(bus, "Hello")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.Failed", "Already handled an Hello message")


def test_message_before_hello_is_refused(bus):
    # dbus-send --address (1.14) opens a private connection and never says Hello.
    result = run(["dbus-send", f"--address={bus.address}", "--print-reply", f"--dest={DBUS}",
                  "/org/freedesktop/DBus", f"{DBUS}.GetId"], check=False)
    assert result.returncode == 1
    assert error_of(SendResult(result)) == (
        "org.freedesktop.DBus.Error.AccessDenied",
        "Client tried to send a message other than Hello without being registered")


def test_unknown_driver_method(bus):
    result = driver_error(bus, "NoSuchMethod")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.UnknownMethod",
         "org.freedesktop.DBus does not understand message NoSuchMethod")


def test_request_name_free_name_primary_owner(bus):
    assert request(bus, NAME, 0) == PRIMARY_OWNER


@pytest.mark.parametrize("flags, code", [
    (0, IN_QUEUE),
    (DO_NOT_QUEUE, EXISTS),
    (REPLACE_EXISTING, IN_QUEUE),               # the owner did not allow replacement
    (REPLACE_EXISTING | DO_NOT_QUEUE, EXISTS),
    (ALLOW_REPLACEMENT, IN_QUEUE),
])
def test_request_name_held_without_allow_replacement(bus, connect, flags, code):
    holder = connect()
    assert holder.request_name(NAME, 0) == PRIMARY_OWNER
    assert request(bus, NAME, flags) == code
    assert owner_of(bus, NAME) == holder.get_unique_name()


def test_request_name_replaces_owner_that_allows_it(bus, connect):
    holder = connect()
    assert holder.request_name(NAME, ALLOW_REPLACEMENT) == PRIMARY_OWNER
    assert request(bus, NAME, REPLACE_EXISTING) == PRIMARY_OWNER
    # The replaced owner queued (no DO_NOT_QUEUE), so it owns the name again once
    # dbus-send has gone.
    assert owner_of(bus, NAME) == holder.get_unique_name()


def test_request_name_replaced_owner_with_do_not_queue_loses_name(bus, connect):
    holder, watcher = connect(), connect()
    assert holder.request_name(NAME, ALLOW_REPLACEMENT | DO_NOT_QUEUE) == PRIMARY_OWNER
    assert request(bus, NAME, REPLACE_EXISTING) == PRIMARY_OWNER
    proxy = dbus_proxy(watcher)
    assert not proxy.NameHasOwner(NAME)


def test_request_name_already_owner(bus, connect):
    holder = connect()
    assert holder.request_name(NAME, 0) == PRIMARY_OWNER
    assert holder.request_name(NAME, 0) == ALREADY_OWNER
    assert holder.request_name(NAME, DO_NOT_QUEUE | REPLACE_EXISTING) == ALREADY_OWNER


def test_request_name_queue_with_two_clients(bus, connect):
    first, second = connect(), connect()
    assert first.request_name(NAME, 0) == PRIMARY_OWNER
    assert second.request_name(NAME, 0) == IN_QUEUE
    queue = driver_ok(bus, "ListQueuedOwners", f"string:{NAME}").strings()
    assert queue == [first.get_unique_name(), second.get_unique_name()]
    assert first.release_name(NAME) == RELEASED
    assert owner_of(bus, NAME) == second.get_unique_name()
    assert driver_ok(bus, "ListQueuedOwners", f"string:{NAME}").strings() == \
        [second.get_unique_name()]


def test_request_name_owner_disconnect_passes_name_on(bus, connect):
    first, second = connect(), connect()
    assert first.request_name(NAME, 0) == PRIMARY_OWNER
    assert second.request_name(NAME, 0) == IN_QUEUE
    first.close()
    wait_until(lambda: owner_of(bus, NAME) == second.get_unique_name(), what="name handover")


@pytest.mark.parametrize("name, text", [
    (":1.5", 'Cannot acquire a service starting with \':\' such as ":1.5"'),
    ("bad..name", 'Requested bus name "bad..name" is not valid'),
])
def test_request_name_invalid(bus, name, text):
    result = driver_error(bus, "RequestName", f"string:{name}", "uint32:0")
    assert error_of(result) == ("org.freedesktop.DBus.Error.InvalidArgs", text)


def test_request_name_reserved(bus):
    result = driver_error(bus, "RequestName", f"string:{DBUS}", "uint32:0")
    assert result.error_name == "org.freedesktop.DBus.Error.InvalidArgs"
    # The missing space before "because" is dbus-daemon's own text.
    if BUS_KIND != "dbus-broker":
        assert UNIQUE_NAME.sub(":1.N", result.error_text) == (
            'Connection ":1.N" is not allowed to own the service "org.freedesktop.DBus"because '
            "it is reserved for D-Bus' use only")


def test_release_name_codes(bus, connect):
    holder = connect()
    assert holder.request_name(NAME, 0) == PRIMARY_OWNER
    assert driver_ok(bus, "ReleaseName", f"string:{NAME}").value() == NOT_OWNER
    assert driver_ok(bus, "ReleaseName", "string:org.example.Nobody").value() == NON_EXISTENT
    assert holder.release_name(NAME) == RELEASED
    assert not driver_ok(bus, "NameHasOwner", f"string:{NAME}").value()


@pytest.mark.parametrize("name, text", [
    (DBUS, "Cannot release the org.freedesktop.DBus service because it is owned by the bus"),
    (":1.99", 'Cannot release a service starting with \':\' such as ":1.99"'),
])
def test_release_name_invalid(bus, name, text):
    result = driver_error(bus, "ReleaseName", f"string:{name}")
    assert error_of(result) == ("org.freedesktop.DBus.Error.InvalidArgs", text)


def test_list_queued_owners_of_the_bus(bus):
    assert driver_ok(bus, "ListQueuedOwners", f"string:{DBUS}").strings() == [DBUS]


def test_list_queued_owners_unknown_name(bus):
    result = driver_error(bus, "ListQueuedOwners", f"string:{NAME}")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner",
         f"Could not get owners of name '{NAME}': no such name")


@broker_differs("dbus-broker-launch holds a connection of its own")
def test_list_names(bus, connect):
    holder = connect()
    holder.request_name(NAME, 0)
    result = driver_ok(bus, "ListNames")
    assert sorted(result.strings()) == sorted(
        [DBUS, NAME, holder.get_unique_name(), result.me])


@broker_differs("the helper's launcher reads the host's service directories, not the test's")
def test_list_activatable_names(bus):
    (bus.services / "org.example.Activatable.service").write_text(
        "[D-BUS Service]\nName=org.example.Activatable\nExec=/bin/false\n")
    driver_ok(bus, "ReloadConfig")
    names = driver_ok(bus, "ListActivatableNames").strings()
    assert sorted(names) == sorted([DBUS, "org.example.Activatable"])


def test_name_has_owner(bus, connect):
    assert driver_ok(bus, "NameHasOwner", f"string:{DBUS}").value() is True
    assert driver_ok(bus, "NameHasOwner", f"string:{NAME}").value() is False
    holder = connect()
    holder.request_name(NAME, 0)
    assert driver_ok(bus, "NameHasOwner", f"string:{NAME}").value() is True
    assert driver_ok(bus, "NameHasOwner", f"string:{holder.get_unique_name()}").value() is True


def test_start_service_by_name_unknown(bus):
    result = driver_error(bus, "StartServiceByName", f"string:{NAME}", "uint32:0")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.ServiceUnknown",
         f"The name {NAME} was not provided by any .service files")


@broker_differs("the helper's launcher reads the host's service directories, not the test's")
def test_start_service_by_name_already_running(bus, connect):
    (bus.services / f"{NAME}.service").write_text(
        f"[D-BUS Service]\nName={NAME}\nExec=/bin/false\n")
    driver_ok(bus, "ReloadConfig")
    holder = connect()
    holder.request_name(NAME, 0)
    # DBUS_START_REPLY_ALREADY_RUNNING
    assert driver_ok(bus, "StartServiceByName", f"string:{NAME}", "uint32:0").value() == 2


def test_update_activation_environment(bus):
    result = driver_ok(bus, "UpdateActivationEnvironment", "dict:string:string:FOO,bar")
    assert result.body == ""


def test_get_name_owner(bus, connect):
    holder = connect()
    holder.request_name(NAME, 0)
    assert owner_of(bus, NAME) == holder.get_unique_name()
    assert owner_of(bus, DBUS) == DBUS


def test_get_name_owner_no_such_name(bus):
    result = driver_error(bus, "GetNameOwner", "string:org.example.Nobody")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner",
         "Could not get owner of name 'org.example.Nobody': no such name")


def test_get_connection_unix_user(bus, connect):
    client = connect()
    client.request_name(NAME, 0)
    for name in (client.get_unique_name(), NAME):
        assert driver_ok(bus, "GetConnectionUnixUser", f"string:{name}").value() == os.getuid()
    result = driver_error(bus, "GetConnectionUnixUser", "string::1.99")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner",
         "Could not get UID of name ':1.99': no such name")


@broker_differs("the driver's pid is the launcher's")
def test_get_connection_unix_process_id(bus, connect):
    client = connect()
    pid = driver_ok(bus, "GetConnectionUnixProcessID", f"string:{client.get_unique_name()}")
    assert pid.value() == os.getpid()
    assert driver_ok(bus, "GetConnectionUnixProcessID", f"string:{DBUS}").value() == bus.pid()
    result = driver_error(bus, "GetConnectionUnixProcessID", f"string:{NAME}")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner",
         f"Could not get PID of name '{NAME}': no such name")


@broker_differs("the driver's pid is the launcher's")
def test_get_connection_credentials(bus, connect):
    client, asker = connect(), connect()
    credentials = dbus_proxy(asker).GetConnectionCredentials(client.get_unique_name())
    assert credentials["ProcessID"] == os.getpid()
    assert credentials["UnixUserID"] == os.getuid()
    if "UnixGroupIDs" in credentials:
        assert sorted(credentials["UnixGroupIDs"]) == sorted({os.getgid(), *os.getgroups()})
    # dbus-send prints the same dictionary for the bus itself.
    result = driver_ok(bus, "GetConnectionCredentials", f"string:{DBUS}")
    assert f'string "ProcessID"\n         variant             uint32 {bus.pid()}\n' in result.body
    assert 'string "UnixUserID"\n         variant             uint32 0\n' in result.body


def test_get_connection_credentials_unknown(bus):
    result = driver_error(bus, "GetConnectionCredentials", f"string:{NAME}")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.NameHasNoOwner",
         f"Could not get credentials of name '{NAME}': no such name")


def test_get_adt_audit_session_data(bus):
    result = driver_error(bus, "GetAdtAuditSessionData", f"string:{DBUS}")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.AdtAuditDataUnknown",
         "Could not determine audit session data for 'org.freedesktop.DBus'")


def test_get_connection_selinux_security_context(bus):
    result = driver_error(bus, "GetConnectionSELinuxSecurityContext", f"string:{DBUS}")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.SELinuxSecurityContextUnknown",
         "Could not determine security context for 'org.freedesktop.DBus'")


def test_add_match(bus):
    assert driver_ok(bus, "AddMatch", "string:type='signal',member='Changed'").body == ""


INVALID_RULES = [
    ("type='bogus'", "Invalid message type (bogus) in match rule\n"),
    ("member='unterminated", "Unbalanced quotation marks in match rule"),
    ("arg64='x'", "Key 'arg64' in match rule has arg number 64 but the maximum is 63.\n"),
]


@pytest.mark.parametrize("rule", [rule for rule, _ in INVALID_RULES])
def test_add_match_invalid(bus, rule):
    result = driver_error(bus, "AddMatch", f"string:{rule}")
    assert result.error_name == "org.freedesktop.DBus.Error.MatchRuleInvalid"


@pytest.mark.parametrize("rule, text", INVALID_RULES)
def test_add_match_invalid_text(bus, rule, text):
    result = driver_error(bus, "AddMatch", f"string:{rule}")
    assert error_of(result) == ("org.freedesktop.DBus.Error.MatchRuleInvalid", text)


def test_remove_match(bus, connect):
    client = connect()
    client.add_match_string("type='signal',interface='org.example.I'")
    client.remove_match_string("type='signal',interface='org.example.I'")
    with pytest.raises(dbus.DBusException) as error:
        client.remove_match_string("type='signal',interface='org.example.I'")
    assert error.value.get_dbus_name() == "org.freedesktop.DBus.Error.MatchRuleNotFound"


def test_remove_match_unknown(bus):
    result = driver_error(bus, "RemoveMatch", "string:type='signal'")
    assert error_of(result) == \
        ("org.freedesktop.DBus.Error.MatchRuleNotFound",
         "The given match rule wasn't found and can't be removed")


def test_get_id(bus):
    first = driver_ok(bus, "GetId").value()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert driver_ok(bus, "GetId").value() == first


def test_reload_config(bus):
    assert driver_ok(bus, "ReloadConfig").body == ""
    assert driver_ok(bus, "NameHasOwner", f"string:{DBUS}").value() is True


def test_become_monitor(bus):
    result = driver_ok(bus, "BecomeMonitor", "array:string:", "uint32:0",
                       interface="org.freedesktop.DBus.Monitoring")
    assert result.body == ""


def test_peer_ping(bus):
    assert driver_ok(bus, "Ping", interface="org.freedesktop.DBus.Peer").body == ""


def test_peer_get_machine_id(bus):
    machine_id = driver_ok(bus, "GetMachineId", interface="org.freedesktop.DBus.Peer").value()
    assert machine_id == open("/etc/machine-id").read().strip()


def test_introspect(bus):
    xml = driver_ok(bus, "Introspect", interface="org.freedesktop.DBus.Introspectable").value()
    root = ElementTree.fromstring(xml.replace('\\"', '"'))
    interfaces = {i.get("name"): i for i in root.findall("interface")}
    assert {DBUS, "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer",
            "org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Monitoring"} <= set(interfaces)
    methods = {m.get("name") for m in interfaces[DBUS].findall("method")}
    assert methods >= {
        "Hello", "RequestName", "ReleaseName", "StartServiceByName",
        "UpdateActivationEnvironment", "NameHasOwner", "ListNames", "ListActivatableNames",
        "AddMatch", "RemoveMatch", "GetNameOwner", "ListQueuedOwners",
        "GetConnectionUnixUser", "GetConnectionUnixProcessID", "GetAdtAuditSessionData",
        "GetConnectionSELinuxSecurityContext", "ReloadConfig", "GetId",
        "GetConnectionCredentials"}
    signals = {s.get("name") for s in interfaces[DBUS].findall("signal")}
    assert signals >= {"NameOwnerChanged", "NameLost", "NameAcquired"}
    properties = {p.get("name"): p.get("type") for p in interfaces[DBUS].findall("property")}
    assert properties == {"Features": "as", "Interfaces": "as"}


@broker_differs("version 33 lists no Features (no HeaderFiltering)")
def test_properties_get_features_and_interfaces(bus):
    features = driver_ok(bus, "Get", f"string:{DBUS}", "string:Features",
                         interface="org.freedesktop.DBus.Properties")
    assert features.body.startswith("   variant       array [\n")
    assert "HeaderFiltering" in features.strings()
    interfaces = driver_ok(bus, "Get", f"string:{DBUS}", "string:Interfaces",
                           interface="org.freedesktop.DBus.Properties")
    assert "org.freedesktop.DBus.Monitoring" in interfaces.strings()


@broker_differs("version 33 lists no Features (no HeaderFiltering)")
def test_properties_get_all(bus, connect):
    properties = dbus_proxy_properties(connect())
    assert set(properties) == {"Features", "Interfaces"}
    assert "HeaderFiltering" in properties["Features"]
    assert "org.freedesktop.DBus.Monitoring" in properties["Interfaces"]
    result = driver_ok(bus, "GetAll", f"string:{DBUS}", interface="org.freedesktop.DBus.Properties")
    assert result.strings()[0] == "Features"


def dbus_proxy_properties(connection):
    proxy = connection.get_object(DBUS, "/org/freedesktop/DBus")
    return proxy.GetAll(DBUS, dbus_interface="org.freedesktop.DBus.Properties")
