// Daemon
//
// Runs the broker as a process: listeners, --fork, --print-address/--print-pid, the
// pidfile, signals, and a clean exit.
#if canImport(Glibc)
import Glibc
#endif
import BusBroker
import BusPlatform
import Logging

/// The process around the broker. It binds every listener before forking, so when the
/// parent of `--fork` prints the address and exits, the bus is already accepting.
struct Daemon {
    /// Where logind's state is read for `at_console` (default /run/systemd); tests point it
    /// at a directory of their own.
    static let systemdRuntimeVariable = "SWIFTBUSD_SYSTEMD_RUNTIME_DIR"
    /// dbus-daemon's switch that keeps a forked daemon's stdout and stderr open.
    static let debugOutputVariable = "DBUS_DEBUG_OUTPUT"
    let options: SwiftbusdOptions
    let config: BusConfig
    let logger = Logger(label: "swiftbusd")

    func run() -> CInt {
        signal(SIGPIPE, SIG_IGN)
        for note in config.notes { logger.notice("config: \(note)") }
        let loop: EventLoop
        do throws(Errno) {
            loop = try EventLoop()
        } catch {
            fail("cannot create the event loop: \(error)")
        }
        loop.busyPoll = busyPoll()
        let broker = Broker(config: config, loop: loop, logger: logger)
        let options = self.options
        broker.configurationReloader = { () throws(ConfigError) -> BusConfig in try loadConfig(options) }
        if let directory = Broker.environment(Daemon.systemdRuntimeVariable), !directory.isEmpty {
            broker.consoleSeats = ConsoleSeats(runDirectory: directory)
        }
        let addresses = listen(broker)
        guard let printed = addresses.first else { fail("no address to listen on") }
        broker.activationAddress = printed
        broker.systemdActivation = options.systemdActivation
        if shouldFork {
            switch forkDaemon() {
            case .parent(let child):
                announce(address: printed, pid: child)
                _exit(0)
            case .child:
                closeAnnouncementDescriptors()
            }
        } else {
            announce(address: printed, pid: getpid())
            closeAnnouncementDescriptors()
        }
        let pidFile = options.writePIDFile ? config.pidFile : nil
        if let pidFile { writePIDFile(pidFile) }
        logger.info("listening on \(addresses.joined(separator: ";"))")
        serve(broker, loop: loop)
        broker.shutdown()
        if let pidFile { unlink(pidFile) }
        logger.info("exiting")
        return 0
    }

    private var shouldFork: Bool {
        switch options.fork {
        case .always: true
        case .never: false
        case .fromConfig: config.fork
        }
    }

    private func listen(_ broker: Broker) -> [String] {
        do throws(ListenError) {
            // Sockets passed by systemd; --systemd-activation alone (as in tests) listens as usual.
            if options.systemdActivation && Broker.environment("LISTEN_FDS") != nil {
                _ = try broker.listenOnInheritedSockets()
                return [options.address ?? config.listen.first ?? "unix:socket-activated"]
            }
            if let address = options.address { return try broker.listen(address: address) }
            if options.configSource == nil, let address = DefaultAddress.choose() { return try broker.listen(address: address) }
            var all: [String] = []
            for address in config.listen { all += try broker.listen(address: address) }
            return all
        } catch {
            fail(error.description)
        }
    }

    private func announce(address: String, pid: pid_t) {
        // dbus-daemon prints the address with no options too, so a bare start is usable.
        let printAddress = options.printAddress ?? (options.configSource == nil && options.printPID == nil ? .standardOutput : nil)
        if let printAddress { emit(address, to: printAddress) }
        if let printPID = options.printPID { emit(String(pid), to: printPID) }
    }

    /// dbus-daemon closes a `--print-address=FD` / `--print-pid=FD` descriptor once written,
    /// and `dbus-run-session` reads it to end of file: keeping it open would hang that reader.
    /// Standard output and error stay open, as dbus-daemon leaves them.
    private func closeAnnouncementDescriptors() {
        var closed: [CInt] = []
        for case .descriptor(let descriptor)? in [options.printAddress, options.printPID] {
            guard descriptor > 2, !closed.contains(descriptor) else { continue }
            close(descriptor)
            closed.append(descriptor)
        }
    }

    private func forkDaemon() -> ProcessControl.ForkResult {
        do throws(Errno) {
            let result = try ProcessControl.fork()
            if case .child = result {
                _ = try? ProcessControl.startSession()
                redirectStandardStreamsToNull()
            }
            return result
        } catch {
            fail("fork failed: \(error)")
        }
    }

    /// A daemon keeps none of its starter's streams, as dbus-daemon's `_dbus_become_daemon`:
    /// stdin, stdout and stderr go to /dev/null, so whoever started it and reads its output
    /// to the end (a test, a shell's `$(...)`) sees end of file once the parent exits.
    /// `DBUS_DEBUG_OUTPUT` keeps stdout and stderr, as there, for a log.
    private func redirectStandardStreamsToNull() {
        let null = open("/dev/null", O_RDWR)
        guard null >= 0 else { return }
        dup2(null, 0)
        if Broker.environment(Daemon.debugOutputVariable).map({ $0.isEmpty }) ?? true {
            dup2(null, 1)
            dup2(null, 2)
        }
        if null > 2 { close(null) }
    }

    private func writePIDFile(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            logger.error("cannot write the pid file \(path): errno \(errno)")
            return
        }
        write("\(getpid())\n", to: descriptor)
        close(descriptor)
    }

    /// `--busy-poll`, or its default.
    private func busyPoll() -> BusyPoll {
        let microseconds = options.busyPollMicroseconds ?? SwiftbusdOptions.defaultBusyPollMicroseconds
        return microseconds > 0 ? BusyPoll(maximum: microseconds * 1_000) : .off
    }

    private func serve(_ broker: Broker, loop: EventLoop) {
        do throws(Errno) {
            try loop.watchSignals([SIGHUP, SIGTERM, SIGINT]) { signal, loop in
                if signal == SIGHUP {
                    broker.reloadConfiguration()
                } else {
                    loop.stop()
                }
            }
            try loop.run()
        } catch {
            logger.critical("event loop failed: \(error)")
        }
    }
}
