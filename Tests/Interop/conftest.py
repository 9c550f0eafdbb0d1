# Interop fixtures: a fresh private bus per test and background clients stopped afterwards.
import shutil
import tempfile

import pytest

from support import BUS_KIND, KNOWN_BUSES, Bus, Processes, stray_processes, wait_until


# How long the last stopped processes may take to exit after the run.
STRAY_EXIT_TIMEOUT = 5.0


def pytest_configure(config):
    config.addinivalue_line("markers", "bus_limits(limits): <limit> elements for the bus config")


@pytest.fixture
def bus(request):
    """A fresh private bus of the kind under test; checked still alive after the test.
    `@pytest.mark.bus_limits({name: value})` adds <limit> elements to its config."""
    if BUS_KIND not in KNOWN_BUSES:
        pytest.fail(f"SWIFTBUS_TEST_BUS={BUS_KIND!r}: expected one of {KNOWN_BUSES}")
    # Not pytest's tmp_path: a socket path must fit in sun_path (108 bytes).
    directory = tempfile.mkdtemp(prefix="sbi-")
    marker = request.node.get_closest_marker("bus_limits")
    b = Bus(BUS_KIND, directory, limits=marker.args[0] if marker else None).start()
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


@pytest.fixture(scope="session", autouse=True)
def no_stray_processes():
    """After the whole run, nothing the suite started is still running."""
    yield
    try:
        wait_until(lambda: not stray_processes(), timeout=STRAY_EXIT_TIMEOUT,
                   what="the suite's processes to exit")
    except AssertionError:
        pytest.fail(f"processes left running: {stray_processes()}")
