// swift-tools-version:6.0
import PackageDescription

// Layers follow docs/architecture.md: a pure core, local executors on top, the umbrella module
// and the command-line tool last. Benchmarks and examples are executables CI builds too.
let optimized: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .executable(name: "loom", targets: ["loom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .target(name: "CLoomSystem"),
        .target(
            name: "LoomCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: optimized),
        .target(name: "LoomLocal", dependencies: ["LoomCore", "CLoomSystem"], swiftSettings: optimized),
        .target(
            name: "LoomDistributed",
            dependencies: [
                "LoomCore", "LoomLocal", "CLoomSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: optimized),
        .target(
            name: "Loom",
            dependencies: [
                "LoomCore", "LoomLocal", "LoomDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "loom",
            dependencies: ["Loom", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "QuickStart", dependencies: ["Loom"], path: "Examples/QuickStart"),
        .executableTarget(
            name: "loom-bench", dependencies: ["Loom"], path: "bench/Sources/loom-bench",
            swiftSettings: optimized),

        // Test support: task functions shared by the tests and the worker executable they spawn.
        .target(name: "LoomTestSupport", dependencies: ["Loom"], path: "Tests/LoomTestSupport"),
        .executableTarget(name: "loom-test-worker", dependencies: ["LoomTestSupport"], path: "Tests/TestWorker"),
        .testTarget(name: "LoomCoreTests", dependencies: ["LoomCore"]),
        .testTarget(name: "LoomLocalTests", dependencies: ["LoomTestSupport", "loom-test-worker"]),
        .testTarget(name: "LoomCLITests", dependencies: ["loom", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(
            name: "LoomDistributedTests",
            dependencies: [
                "LoomDistributed", "LoomTestSupport", "loom-test-worker",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
    ]
)
