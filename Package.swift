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
        .executable(name: "swiftbusd", targets: ["swiftbusd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CSwiftBusShims"),
        .target(name: "DBusWire", swiftSettings: strict),
        .target(name: "BusPlatform", dependencies: ["CSwiftBusShims"], swiftSettings: strict),
        .target(
            name: "BusBroker",
            dependencies: ["DBusWire", "BusPlatform", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: "swiftbusd",
            dependencies: ["DBusWire", "BusPlatform", "BusBroker", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "DBusWireTests", dependencies: ["DBusWire"], resources: [.copy("Vectors")], swiftSettings: strict),
        .testTarget(name: "BusPlatformTests", dependencies: ["BusPlatform"], swiftSettings: strict),
        .testTarget(name: "BusBrokerTests", dependencies: ["BusBroker", "BusPlatform", "DBusWire"], swiftSettings: strict),
    ]
)
