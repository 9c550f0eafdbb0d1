// Socket activation tests: LISTEN_PID/LISTEN_FDS rules on descriptors other than 3.
import Glibc
import Testing
@testable import BusPlatform

@Suite struct SocketActivationTests {
    /// Two free, consecutive descriptor numbers well above what the tests use, holding
    /// duplicates of `first` and `second`, the way systemd lays listeners out from 3.
    private func placeConsecutively(_ first: borrowing FileDescriptor, _ second: borrowing FileDescriptor) throws -> CInt {
        for _ in 0..<100 {
            let start = CInt.random(in: 700...1900)
            guard !isOpen(start), !isOpen(start + 1) else { continue }
            guard dup2(first.rawValue, start) == start else { continue }
            guard dup2(second.rawValue, start + 1) == start + 1 else {
                close(start)
                continue
            }
            return start
        }
        throw MissingValue(description: "two free consecutive descriptors")
    }

    @Test func listenersForThisProcessAreAdoptedCloseOnExecAndNonBlocking() throws {
        let pathA = uniqueSocketPath("actA"), pathB = uniqueSocketPath("actB")
        defer { unlink(pathA); unlink(pathB) }
        let a = try UnixSocket.listen(at: .path(pathA))
        let b = try UnixSocket.listen(at: .path(pathB))
        let start = try placeConsecutively(a.descriptor, b.descriptor)
        var listeners = try SocketActivation.inheritedListeners(
            listenPID: "\(getpid())", listenFDs: "2", processID: getpid(), firstDescriptor: start)
        let count = listeners.count
        #expect(count == 2)
        let second = UnixSocket(adopting: try unwrap(listeners.take(at: 1), "second listener"))
        #expect(second.descriptor.rawValue == start + 1)
        #expect(try second.descriptor.isCloseOnExec())
        #expect(try second.descriptor.isNonBlocking())
        // It is the listener bound to pathB: a client of pathB is accepted through it.
        let client = try UnixSocket.connect(to: .path(pathB))
        #expect(try hasPendingConnection(second))
        _ = client
    }

    @Test func variablesForAnotherProcessAreIgnored() throws {
        let listeners = try SocketActivation.inheritedListeners(
            listenPID: "\(getpid() + 1)", listenFDs: "2", processID: getpid(), firstDescriptor: 3)
        let count = listeners.count
        #expect(count == 0)
    }

    @Test func noListenPIDMeansNotActivated() throws {
        let listeners = try SocketActivation.inheritedListeners(
            listenPID: nil, listenFDs: "1", processID: getpid(), firstDescriptor: 3)
        let count = listeners.count
        #expect(count == 0)
    }

    @Test func malformedVariablesAreRejectedByName() {
        #expect(throws: SocketActivationError.invalidVariable(name: "LISTEN_FDS", value: "two")) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "\(getpid())", listenFDs: "two", processID: getpid(), firstDescriptor: 3)
        }
        #expect(throws: SocketActivationError.invalidVariable(name: "LISTEN_FDS", value: "-1")) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "\(getpid())", listenFDs: "-1", processID: getpid(), firstDescriptor: 3)
        }
        #expect(throws: SocketActivationError.invalidVariable(name: "LISTEN_PID", value: "0")) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "0", listenFDs: "1", processID: getpid(), firstDescriptor: 3)
        }
    }

    @Test func aConnectedSocketOrAPipeIsNotAListenerAndIsLeftOpen() throws {
        let pair = try UnixSocket.pair()
        let pipe = try Pipe.make()
        let start = try placeConsecutively(pair.first.descriptor, pipe.readEnd)
        defer { close(start); close(start + 1) }
        #expect(throws: SocketActivationError.notAListeningUnixStreamSocket(descriptor: start)) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "\(getpid())", listenFDs: "1", processID: getpid(), firstDescriptor: start)
        }
        #expect(throws: SocketActivationError.notAListeningUnixStreamSocket(descriptor: start + 1)) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "\(getpid())", listenFDs: "1", processID: getpid(), firstDescriptor: start + 1)
        }
        #expect(isOpen(start) && isOpen(start + 1), "a rejected descriptor is not ours to close")
        _ = pair.second
    }

    @Test func aClosedDescriptorIsReportedWithItsNumber() throws {
        var number: CInt = 0
        repeat { number = CInt.random(in: 2000...3000) } while isOpen(number)
        #expect(throws: SocketActivationError.system(descriptor: number, .badDescriptor)) {
            _ = try SocketActivation.inheritedListeners(
                listenPID: "\(getpid())", listenFDs: "1", processID: getpid(), firstDescriptor: number)
        }
    }

    @Test func takingFromTheEnvironmentUnsetsTheVariables() throws {
        setenv("LISTEN_PID", "\(getpid())", 1)
        setenv("LISTEN_FDS", "0", 1)
        setenv("LISTEN_FDNAMES", "", 1)
        let listeners = try SocketActivation.takeInheritedListeners()
        let count = listeners.count
        #expect(count == 0)
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }
}
