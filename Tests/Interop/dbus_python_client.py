# A dbus-python (libdbus) client run under /usr/bin/python3: calls the echo service, passes
# it a file descriptor, and prints what came back as JSON.
import json
import os
import sys

import dbus

address = sys.argv[1]
connection = dbus.bus.BusConnection(address)
echo = dbus.Interface(connection.get_object("org.example.Echo", "/org/example/Echo"),
                      "org.example.Echo")
read_end, write_end = os.pipe()
os.write(write_end, b"through a descriptor")
os.close(write_end)
result = {
    "unique": connection.get_unique_name(),
    "string": echo.EchoString("héllo"),
    "sum": int(echo.Sum(dbus.Array([1, 2, 3], signature="i"))),
    "dict": {k: str(v) for k, v in echo.EchoDict({"a": dbus.String("x", variant_level=1)}).items()},
    "fd": str(echo.ReadFd(dbus.types.UnixFd(read_end))),
    "owner": str(connection.get_name_owner("org.example.Echo")),
}
os.close(read_end)
print(json.dumps(result))
