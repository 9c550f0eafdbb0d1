# Interop fixtures: a fresh private bus per test and background clients stopped afterwards.
import shutil
import tempfile

import pytest

from support import BUS_KIND, KNOWN_BUSES, Bus, Processes


@pytest.fixture
def bus():
    """A fresh private bus of the kind under test; checked still alive after the test."""
    if BUS_KIND not in KNOWN_BUSES:
        pytest.fail(f"SWIFTBUS_TEST_BUS={BUS_KIND!r}: expected one of {KNOWN_BUSES}")
    # Not pytest's tmp_path: a socket path must fit in sun_path (108 bytes).
    directory = tempfile.mkdtemp(prefix="sbi-")
    b = Bus(BUS_KIND, directory).start()
    yield b
    survived = b.alive()
    log = b.stderr()
    b.stop()
    shutil.rmtree(directory, ignore_errors=True)
    assert survived, f"{b.kind} died during the test; stderr:\n{log[-4000:]}"


@pytest.fixture
def procs():
    p = Processes()
    yield p
    p.stop_all()


@pytest.fixture
def connect(bus):
    """Opens libdbus connections (dbus-python) to the bus; all closed after the test."""
    import dbus.bus
    opened = []

    def open_connection():
        connection = dbus.bus.BusConnection(bus.address)
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        connection.close()
