#!/usr/bin/python3
# Driver comparison: asks a bus a fixed list of driver questions and prints one line per
# answer (error name and text, or "OK"), so two buses can be diffed:
#   compare-driver.py ADDRESS_A > a; compare-driver.py ADDRESS_B > b; diff a b
import sys
import dbus

bus = dbus.bus.BusConnection(sys.argv[1])
P, I = "/org/freedesktop/DBus", "org.freedesktop.DBus"
PROPS, PEER, INTRO, MON = I + ".Properties", I + ".Peer", I + ".Introspectable", I + ".Monitoring"

def call(path, iface, member, sig, args, dest=I):
    return bus.call_blocking(dest, path, iface, member, sig, args)

CASES = [
    ("GetNameOwner", lambda: call(P, I, "GetNameOwner", "s", ["com.example.Nope"])),
    ("GetNameOwnerBad", lambda: call(P, I, "GetNameOwner", "s", ["not a name"])),
    ("GetNameOwnerBus", lambda: call(P, I, "GetNameOwner", "s", [I])),
    ("GetUnixUser", lambda: call(P, I, "GetConnectionUnixUser", "s", ["com.example.Nope"])),
    ("GetUnixPID", lambda: call(P, I, "GetConnectionUnixProcessID", "s", ["com.example.Nope"])),
    ("GetCreds", lambda: call(P, I, "GetConnectionCredentials", "s", ["com.example.Nope"])),
    ("Adt", lambda: call(P, I, "GetAdtAuditSessionData", "s", [bus.get_unique_name()])),
    ("AdtNope", lambda: call(P, I, "GetAdtAuditSessionData", "s", ["com.example.Nope"])),
    ("SELinux", lambda: call(P, I, "GetConnectionSELinuxSecurityContext", "s", [bus.get_unique_name()])),
    ("SELinuxNope", lambda: call(P, I, "GetConnectionSELinuxSecurityContext", "s", ["com.example.Nope"])),
    ("Start", lambda: call(P, I, "StartServiceByName", "su", ["com.example.Nope", 0])),
    ("StartBus", lambda: call(P, I, "StartServiceByName", "su", [I, 0])),
    ("RemoveMatchNone", lambda: call(P, I, "RemoveMatch", "s", ["type='signal'"])),
    ("AddRemoveMatch", lambda: (call(P, I, "AddMatch", "s", ["type='signal'"]), call(P, I, "RemoveMatch", "s", ["type='signal'"]))),
    ("RequestNameBad", lambda: call(P, I, "RequestName", "su", ["not a name", 0])),
    ("RequestNameUnique", lambda: call(P, I, "RequestName", "su", [":1.5", 0])),
    ("RequestNameBus", lambda: call(P, I, "RequestName", "su", [I, 0])),
    ("RequestName", lambda: call(P, I, "RequestName", "su", ["com.example.Compare", 0])),
    ("RequestNameAgain", lambda: call(P, I, "RequestName", "su", ["com.example.Compare", 0])),
    ("ListQueued", lambda: call(P, I, "ListQueuedOwners", "s", ["com.example.Compare"]) and "ok"),
    ("ReleaseName", lambda: call(P, I, "ReleaseName", "s", ["com.example.Compare"])),
    ("ReleaseNameAgain", lambda: call(P, I, "ReleaseName", "s", ["com.example.Compare"])),
    ("ReleaseNameBad", lambda: call(P, I, "ReleaseName", "s", ["not a name"])),
    ("ReleaseUnique", lambda: call(P, I, "ReleaseName", "s", [":1.5"])),
    ("ListQueuedNone", lambda: call(P, I, "ListQueuedOwners", "s", ["com.example.Nope"])),
    ("ListQueuedBus", lambda: call(P, I, "ListQueuedOwners", "s", [I])),
    ("NameHasOwnerBad", lambda: call(P, I, "NameHasOwner", "s", ["not a name"])),
    ("NameHasOwnerBus", lambda: call(P, I, "NameHasOwner", "s", [I])),
    ("Unknown", lambda: call(P, I, "Frobnicate", "", [])),
    ("UnknownIface", lambda: call(P, "org.example.Nope", "Frobnicate", "", [])),
    ("NoIface", lambda: call(P, None, "GetId", "", []) and "ok"),
    ("NoIfaceFoo", lambda: call(P, None, "Foo", "", [])),
    ("WrongArgs", lambda: call(P, I, "GetNameOwner", "u", [3])),
    ("WrongArgs2", lambda: call(P, I, "RequestName", "s", ["a.b"])),
    ("WrongArgsNone", lambda: call(P, I, "GetNameOwner", "", [])),
    ("Hello2", lambda: call(P, I, "Hello", "", [])),
    ("UpdEnv", lambda: call(P, I, "UpdateActivationEnvironment", "a{ss}", [{"A": "b"}])),
    ("PropGetAll", lambda: sorted(call(P, PROPS, "GetAll", "s", [I]).keys())),
    ("PropGetNope", lambda: call(P, PROPS, "Get", "ss", [I, "Nope"])),
    ("PropGetNopeIface", lambda: call(P, PROPS, "Get", "ss", ["org.example", "Nope"])),
    ("PropGetAllNopeIface", lambda: call(P, PROPS, "GetAll", "s", ["org.example"])),
    ("PropSet", lambda: call(P, PROPS, "Set", "ssv", [I, "Features", dbus.Array([], signature="s")])),
    ("PropSetNope", lambda: call(P, PROPS, "Set", "ssv", [I, "Nope", "x"])),
    ("PropSetNopeIface", lambda: call(P, PROPS, "Set", "ssv", ["org.example", "Nope", "x"])),
    ("Ping", lambda: call(P, PEER, "Ping", "", [])),
    ("MachineId", lambda: call(P, PEER, "GetMachineId", "", [])),
    ("PeerFoo", lambda: call(P, PEER, "Foo", "", [])),
    ("OtherPathGetId", lambda: call("/foo", I, "GetId", "", []) and "ok"),
    ("OtherPathPing", lambda: call("/foo", PEER, "Ping", "", [])),
    ("OtherPathProps", lambda: call("/foo", PROPS, "GetAll", "s", [I])),
    ("OtherPathMonitor", lambda: call("/foo", MON, "BecomeMonitor", "asu", [[], 0])),
    ("IntrospectBadSig", lambda: call(P, INTRO, "Introspect", "s", ["x"])),
    ("GetIdArgs", lambda: call(P, I, "GetId", "s", ["x"])),
    ("UnicastNope", lambda: call("/", "com.example.X", "Foo", "", [], dest="com.example.Nope")),
    ("UnicastUnique", lambda: call("/", "com.example.X", "Foo", "", [], dest=":1.99")),
    ("BecomeMonitorFlags", lambda: call(P, MON, "BecomeMonitor", "asu", [[], 1])),
    ("AddMatchLong", lambda: call(P, I, "AddMatch", "s", ["member='" + "a" * 1100 + "'"])),
]

for label, function in CASES:
    try:
        result = function()
        print(label, "OK", repr(result))
    except dbus.DBusException as error:
        print(label, "ERR", error.get_dbus_name(), "|", repr(error.get_dbus_message()))
