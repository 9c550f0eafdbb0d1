#!/usr/bin/python3
# Round-trip latency through a bus: dbus-test-tool echo answers, a libdbus (python3-dbus)
# client calls it N times. Prints the median and p99 in microseconds.
#   latency.py ADDRESS [N]
import os, subprocess, sys, time
import dbus

address = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
echo = subprocess.Popen(["dbus-test-tool", "echo", "--name=com.example.LatencyEcho"], env=env)
try:
    bus = dbus.bus.BusConnection(address)
    while not bus.name_has_owner("com.example.LatencyEcho"):
        time.sleep(0.01)
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        bus.call_blocking("com.example.LatencyEcho", "/", "com.example.Echo", "Echo", "s", ["ping"])
        samples.append(time.perf_counter_ns() - start)
    samples.sort()
    print(f"median {samples[len(samples)//2]/1000:.1f} us  p99 {samples[len(samples)*99//100]/1000:.1f} us  ({count} calls)")
finally:
    echo.terminate()
    echo.wait()
