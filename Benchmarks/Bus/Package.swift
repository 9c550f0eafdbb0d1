// swift-tools-version:6.1
import PackageDescription

/// The bus-against-bus benchmark's own client: `buswork`, written directly on DBusWire and
/// BusPlatform with blocking sockets, so it behaves the same on every bus. A package of its
/// own so the main package and CI never build it. Run everything with `./run.sh`.
let package = Package(
    name: "SwiftBusBusBenchmarks",
    dependencies: [
        .package(name: "SwiftBus", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "buswork",
            dependencies: [
                .product(name: "DBusWire", package: "SwiftBus"),
                .product(name: "BusPlatform", package: "SwiftBus"),
                // KDBusChannel, for the kdbus transport's rows.
                .product(name: "SwiftBus", package: "SwiftBus"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
