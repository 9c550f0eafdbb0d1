# A python-dbusmock test case, run by test_python_clients.py with a `dbus-daemon` on PATH that
# is the bus under test: DBusTestCase starts it exactly as it starts the real one.
import os
import subprocess
import sys
import unittest

import dbus
import dbusmock


class MockOnPrivateBus(dbusmock.DBusTestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_session_bus()
        cls.bus = cls.get_dbus(system_bus=False)

    def setUp(self):
        self.mock = self.spawn_server("org.example.Mock", "/org/example/Mock",
                                      "org.example.Mock", system_bus=False,
                                      stdout=subprocess.PIPE)
        self.addCleanup(self.stop_mock)
        self.proxy = dbus.Interface(self.bus.get_object("org.example.Mock", "/org/example/Mock"),
                                    dbusmock.MOCK_IFACE)

    def stop_mock(self):
        self.mock.terminate()
        self.mock.wait()
        self.mock.stdout.close()

    def test_bus_is_the_one_on_path(self):
        exe = os.path.realpath(f"/proc/{self.session_bus_pid}/exe")
        self.assertEqual(exe, os.environ["EXPECTED_BUS_EXE"])

    def test_mocked_method_and_call_log(self):
        self.proxy.AddMethod("", "Double", "i", "i", "ret = args[0] * 2")
        mocked = self.bus.get_object("org.example.Mock", "/org/example/Mock")
        self.assertEqual(mocked.Double(21, dbus_interface="org.example.Mock"), 42)
        calls = self.proxy.GetCalls()
        self.assertEqual([(c[1], list(c[2])) for c in calls], [("Double", [21])])

    def test_mocked_property(self):
        self.proxy.AddProperty("org.example.Mock", "Colour", dbus.String("blue"))
        mocked = self.bus.get_object("org.example.Mock", "/org/example/Mock")
        self.assertEqual(mocked.Get("org.example.Mock", "Colour",
                                    dbus_interface=dbus.PROPERTIES_IFACE), "blue")


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=sys.argv[:1])
