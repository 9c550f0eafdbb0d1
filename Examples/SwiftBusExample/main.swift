// SwiftBus example: call a method, export an object, listen to a signal.
//
// Usage: swift run swiftbus-example [ADDRESS]   (default: the session bus)
import SwiftBus

/// The interface, declared once: the proxy and the served object both use it.
enum Greeter: DBusInterface {
    static let name = "org.example.Greeter"
    static let greet = method("Greet", String.self, returns: String.self, argumentNames: ["who"], resultNames: ["greeting"])
    static let greetings = property("Greetings", UInt32.self, access: .read)
    static let greeted = signal("Greeted", String.self, argumentNames: ["who"])
}

let path: ObjectPath = "/org/example/Greeter"
let arguments = CommandLine.arguments
let connection = try await arguments.count > 1 ? Connection.connect(to: arguments[1]) : Connection.session()
print("connected as \(connection.uniqueName)")

// 1. Call a method: the bus driver is a built-in typed proxy.
print("org.freedesktop.DBus is owned by \(try await connection.bus.getNameOwner("org.freedesktop.DBus"))")

// 2. Export an object and own a well-known name.
actor Counter {
    var value: UInt32 = 0
    func increment() -> UInt32 { value += 1; return value }
}
let counter = Counter()
var greeter = InterfaceImplementation(Greeter.self)
greeter.method(Greeter.greet) { who in
    let count = await counter.increment()
    try connection.emit(Greeter.greeted, from: path, who)
    try connection.propertyChanged(Greeter.greetings, to: count, at: path)
    return "Hello, \(who)!"
}
greeter.property(Greeter.greetings, get: { await counter.value })
greeter.signal(Greeter.greeted)
connection.export(greeter, at: path)
print("RequestName:", try await connection.requestName("org.example.Greeter", flags: .doNotQueue))

// 3. Listen to a signal, and call the object through the bus like any client would.
let proxy = Proxy<Greeter>(connection: connection, destination: "org.example.Greeter", path: path)
let greeted = try await proxy.signals(Greeter.greeted)
print(try await proxy.call(Greeter.greet, "world"))
for await who in greeted {
    print("signal Greeted(\(who)); Greetings = \(try await proxy.get(Greeter.greetings))")
    break
}
connection.close()
