#!/usr/bin/python3
# Python service: a dbus-python object on a given bus, for SwiftBus interop tests.
#
# Usage: python_service.py ADDRESS NAME
#   Serves org.swiftbus.Python at /org/swiftbus/Python under NAME:
#   Reverse(s) -> s, Sum(ai) -> x, Describe(a{sv}) -> s, Ping(s) emits Pong(s), Quit().
#   Prints "ready" once the name is owned; exits on Quit or after a minute.
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.swiftbus.Python"
# Upper bound on the service's life, so a failed test never leaves it running.
LIFETIME_SECONDS = 60


def describe(value):
    """Type and value as dbus-python decoded them, e.g. Byte(1) or [String(x)]."""
    if isinstance(value, list):
        return "[" + ",".join(describe(item) for item in value) + "]"
    # dbus.Byte prints as a character; int() gives its number.
    shown = int(value) if isinstance(value, int) else value
    return f"{type(value).__name__}({shown})"


class Service(dbus.service.Object):
    def __init__(self, bus, loop):
        super().__init__(bus, "/org/swiftbus/Python")
        self.loop = loop

    @dbus.service.method(IFACE, in_signature="s", out_signature="s")
    def Reverse(self, text):
        return text[::-1]

    @dbus.service.method(IFACE, in_signature="ai", out_signature="x")
    def Sum(self, numbers):
        return sum(numbers)

    @dbus.service.method(IFACE, in_signature="a{sv}", out_signature="s")
    def Describe(self, values):
        return ",".join(f"{k}={describe(values[k])}" for k in sorted(values))

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def Ping(self, text):
        self.Pong(text + "!")

    @dbus.service.signal(IFACE, signature="s")
    def Pong(self, text):
        pass

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Quit(self):
        GLib.idle_add(self.loop.quit)


def main():
    address, name = sys.argv[1], sys.argv[2]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    loop = GLib.MainLoop()
    service = Service(bus, loop)
    bus_name = dbus.service.BusName(name, bus)
    print("ready", flush=True)
    GLib.timeout_add_seconds(LIFETIME_SECONDS, loop.quit)
    loop.run()
    del service, bus_name


main()
