// swift-tools-version:6.1
import PackageDescription

/// SwiftBus: a D-Bus message bus (swiftbusd), its wire core and client library.
/// Dependencies point downwards only: CSwiftBusShims <- BusPlatform, DBusWire <- BusBroker <- swiftbusd.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "SwiftBus",
    products: [
        .library(name: "DBusWire", targets: ["DBusWire"]),
        .library(name: "BusPlatform", targets: ["BusPlatform"]),
        .library(name: "SwiftBus", targets: ["SwiftBus"]),
        .executable(name: "swiftbusd", targets: ["swiftbusd"]),
        .executable(name: "swiftbusctl", targets: ["swiftbusctl"]),
        .library(name: "SwiftBusCodegen", targets: ["SwiftBusCodegen"]),
        .executable(name: "swiftbus-codegen", targets: ["swiftbus-codegen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CSwiftBusShims"),
        .target(name: "DBusWire", swiftSettings: strict),
        .target(name: "BusPlatform", dependencies: ["CSwiftBusShims"], swiftSettings: strict),
        .target(
            name: "BusBroker",
            dependencies: ["DBusWire", "BusPlatform", "CSwiftBusShims", .product(name: "Logging", package: "swift-log")],
            // The broker is one thread whose class state (Broker, Peer) is touched ~30 times per
            // message; the runtime's exclusivity check on each access was 20% of its
            // instructions per round trip (callgrind). The compile-time checks stay on.
            swiftSettings: strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        .target(name: "SwiftBus", dependencies: ["DBusWire", "BusPlatform"], swiftSettings: strict),
        .executableTarget(name: "swiftbus-example", dependencies: ["SwiftBus"], path: "Examples/SwiftBusExample", swiftSettings: strict),
        .executableTarget(
            name: "swiftbusd",
            dependencies: ["DBusWire", "BusPlatform", "BusBroker", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(name: "SwiftBusCodegen", dependencies: ["DBusWire"], swiftSettings: strict),
        .executableTarget(
            name: "swiftbus-codegen",
            dependencies: ["SwiftBusCodegen", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .executableTarget(
            name: "swiftbusctl", dependencies: ["SwiftBus", "SwiftBusCodegen", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "DBusWireTests", dependencies: ["DBusWire", "TestSupport"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "BusPlatformTests", dependencies: ["BusPlatform", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "BusBrokerTests", dependencies: ["BusBroker", "BusPlatform", "DBusWire", "SwiftBus", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SwiftBusTests", dependencies: ["SwiftBus", "DBusWire", "BusPlatform"], exclude: ["Interop/python_service.py"],
            swiftSettings: strict),
        .testTarget(
            name: "SwiftBusCodegenTests", dependencies: ["SwiftBusCodegen", "SwiftBus", "swiftbusctl", "swiftbus-codegen"], resources: [.copy("Fixtures")],
            swiftSettings: strict),
    ]
)
