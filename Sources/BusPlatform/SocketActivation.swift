// Socket Activation: listeners inherited from systemd through LISTEN_FDS.
import Glibc

/// Why inherited listeners could not be taken over. Each case names the variable or
/// descriptor at fault, so the unit file or launcher that set it up can be fixed.
public enum SocketActivationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidVariable(name: String, value: String)
    case notAListeningUnixStreamSocket(descriptor: CInt)
    case system(descriptor: CInt, Errno)

    public var description: String {
        switch self {
        case .invalidVariable(let name, let value):
            "socket activation: \(name)=\"\(value)\" is not a valid count/pid"
        case .notAListeningUnixStreamSocket(let descriptor):
            "socket activation: inherited descriptor \(descriptor) is not a listening Unix stream socket"
        case .system(let descriptor, let error):
            "socket activation: inherited descriptor \(descriptor): \(error)"
        }
    }
}

/// systemd's socket-activation protocol, as `sd_listen_fds` implements it: the
/// listeners start at descriptor 3, `LISTEN_FDS` says how many, and `LISTEN_PID` says
/// which process they are for — a child that inherited the variables but not the
/// descriptors must ignore them. The variables are removed so children do not see them.
public enum SocketActivation {
    public static let listenPIDVariable = "LISTEN_PID"
    public static let listenFDsVariable = "LISTEN_FDS"
    public static let listenFDNamesVariable = "LISTEN_FDNAMES"

    /// Takes the listeners this process inherited and unsets the variables. An empty
    /// list means the process was not socket-activated.
    public static func takeInheritedListeners() throws(SocketActivationError) -> DescriptorList {
        let pidValue = getenv(listenPIDVariable).map { String(cString: $0) }
        let countValue = getenv(listenFDsVariable).map { String(cString: $0) }
        unsetenv(listenPIDVariable)
        unsetenv(listenFDsVariable)
        unsetenv(listenFDNamesVariable)
        return try inheritedListeners(
            listenPID: pidValue, listenFDs: countValue, processID: getpid(),
            firstDescriptor: PlatformLimits.listenFDsStart)
    }

    /// The rules without the process state, so they can be tested on descriptors that
    /// are not 3: validates each descriptor and makes it close-on-exec and non-blocking.
    public static func inheritedListeners(
        listenPID: String?, listenFDs: String?, processID: pid_t, firstDescriptor: CInt
    ) throws(SocketActivationError) -> DescriptorList {
        guard let listenPID else { return DescriptorList(reservingCapacity: 0) }
        guard let intendedPID = pid_t(listenPID), intendedPID > 0 else {
            throw .invalidVariable(name: listenPIDVariable, value: listenPID)
        }
        guard intendedPID == processID else { return DescriptorList(reservingCapacity: 0) }
        guard let listenFDs, let count = CInt(listenFDs), count >= 0, count <= CInt.max - firstDescriptor else {
            throw .invalidVariable(name: listenFDsVariable, value: listenFDs ?? "")
        }
        var listeners = DescriptorList(reservingCapacity: Int(count))
        for raw in firstDescriptor..<(firstDescriptor + count) {
            try adopt(raw, into: &listeners)
        }
        return listeners
    }

    /// Checks and prepares one inherited descriptor. It is owned only once it passes:
    /// a descriptor that fails is left open, exactly as it was found.
    private static func adopt(_ raw: CInt, into listeners: inout DescriptorList) throws(SocketActivationError) {
        let listening: Bool
        do throws(Errno) {
            listening = try UnixSocket.isListeningUnixStream(raw)
        } catch where error == .notSocket {
            listening = false
        } catch {
            throw .system(descriptor: raw, error)
        }
        guard listening else { throw .notAListeningUnixStreamSocket(descriptor: raw) }
        do throws(Errno) {
            _ = try systemCall { fcntl(raw, F_SETFD, FD_CLOEXEC) }
            let flags = try systemCall { fcntl(raw, F_GETFL) }
            _ = try systemCall { fcntl(raw, F_SETFL, flags | O_NONBLOCK) }
        } catch {
            throw .system(descriptor: raw, error)
        }
        listeners.append(FileDescriptor(owning: raw))
    }
}
