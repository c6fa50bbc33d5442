// swift-tools-version:6.0
import PackageDescription

// Layers follow docs/architecture.md: a pure core, local executors on top, the distributed
// runtime, the dashboard and the job-queue clusters that plug into it, the umbrella module and
// the command-line tool last. Benchmarks and examples are executables CI builds too. No target
// has unsafe flags: SwiftPM refuses those in a package that users name by version.

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
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "CLoomSystem"),
        .target(
            name: "LoomCore",
            dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "LoomLocal", dependencies: ["LoomCore", "CLoomSystem", .product(name: "Logging", package: "swift-log")]),
        // The runtime's pure core: the scheduler and worker state machines and the messages they
        // take and give. It depends on the core alone, so no socket, file or clock can creep in.
        .target(name: "LoomRuntime", dependencies: ["LoomCore"]),
        .target(
            name: "LoomDistributed",
            dependencies: [
                "LoomCore", "LoomLocal", "LoomRuntime", "CLoomSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "LoomDashboard",
            dependencies: [
                "LoomCore", "LoomDistributed",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Deployment, in one home (Sources/Deploy): workers started over SSH, as batch jobs, as pods.
        .target(
            name: "LoomSSH", dependencies: ["LoomCore", "LoomDistributed", "CLoomSystem"], path: "Sources/Deploy/SSH"),
        .target(
            name: "LoomJobQueue",
            dependencies: ["LoomCore", "LoomDistributed", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Deploy/JobQueue"),
        .target(
            name: "LoomKubernetes",
            dependencies: [
                "LoomCore", "LoomDistributed",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Deploy/Kubernetes"),
        // Clusters in a cloud account (Sources/Deploy/Cloud): AWS's APIs through a small signed
        // client of their own (the Swift AWS SDKs cannot be built here).
        .target(
            name: "LoomCloud",
            dependencies: [
                "LoomCore", "LoomDistributed",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Deploy/Cloud"),
        // Chunked n-dimensional arrays, built as the core's task graphs (docs/array.md); they reach
        // clusters through LoomLocal's GraphRunner, which a Client implements.
        .target(name: "LoomArray", dependencies: ["LoomCore", "LoomLocal"]),
        // Partitioned columnar dataframes (docs/dataframe.md): tables in Arrow's layout and column
        // expressions as data; they reach clusters through the same GraphRunner seam.
        .target(name: "LoomFrame", dependencies: ["LoomCore", "LoomLocal"]),
        // The dataframes' peer-to-peer shuffle on clusters (docs/dataframe.md): a worker plugin's
        // service and the task functions that use it.
        .target(name: "LoomShuffle", dependencies: ["LoomCore", "LoomLocal", "LoomFrame", "LoomDistributed"]),
        // Every command of the command line (worker, scheduler, job-script, kubernetes): the `loom`
        // tool offers them all, and `Loom.bootstrap` the worker and scheduler to a user's own
        // executable.
        .target(
            name: "LoomCommands",
            dependencies: [
                "LoomCore", "LoomDistributed", "LoomJobQueue", "LoomKubernetes", "LoomCloud",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/LoomCLI/Commands"),
        .target(
            name: "Loom",
            dependencies: [
                "LoomCore", "LoomLocal", "LoomRuntime", "LoomDistributed", "LoomDashboard", "LoomSSH", "LoomJobQueue", "LoomKubernetes",
                "LoomCloud", "LoomArray", "LoomFrame", "LoomShuffle", "LoomCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "loom",
            dependencies: ["Loom", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/LoomCLI/Tool"),
        .executableTarget(name: "QuickStart", dependencies: ["Loom"], path: "Examples/QuickStart"),
        // Every Swift block of the README, compiled (ReadmeExamplesTests checks they match).
        .executableTarget(name: "ReadmeExamples", dependencies: ["Loom"], path: "Examples/ReadmeExamples"),
        .executableTarget(
            name: "loom-bench", dependencies: ["Loom"], path: "bench/Sources/loom-bench"),

        // Test support: task functions shared by the tests and the worker executable they spawn.
        .target(
            name: "LoomTestSupport",
            dependencies: ["Loom", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/LoomTestSupport"),
        .executableTarget(name: "loom-test-worker", dependencies: ["LoomTestSupport"], path: "Tests/TestWorker"),
        // moto and the task agent as one program, for bench/run's cloud workloads.
        .executableTarget(name: "cloud-standin", dependencies: ["LoomTestSupport"], path: "Tests/CloudStandIn"),
        // A Kubernetes API server of the tests' own (none can be installed here); it knows
        // nothing of Loom, so the client is tested against the API, not against itself.
        .target(
            name: "KubernetesStandIn",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/KubernetesStandIn"),
        .executableTarget(name: "kube-standin", dependencies: ["KubernetesStandIn"], path: "Tests/KubeStandInServer"),
        .testTarget(name: "LoomCoreTests", dependencies: ["LoomCore"]),
        // The state machines alone: no sockets, no processes, no clock.
        .testTarget(name: "LoomRuntimeTests", dependencies: ["LoomCore", "LoomRuntime"]),
        .testTarget(name: "LoomLocalTests", dependencies: ["LoomTestSupport", "loom-test-worker"]),
        .testTarget(name: "LoomCLITests", dependencies: ["loom", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(
            name: "LoomDistributedTests",
            dependencies: [
                "LoomDistributed", "LoomTestSupport", "loom-test-worker",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "LoomDashboardTests", dependencies: ["LoomDashboard", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(
            name: "LoomKubernetesTests",
            dependencies: ["LoomKubernetes", "LoomTestSupport", "KubernetesStandIn", "loom-test-worker", "kube-standin", "loom"]),
        .testTarget(name: "LoomArrayTests", dependencies: ["LoomArray", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(name: "LoomFrameTests", dependencies: ["LoomFrame", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(
            name: "LoomCloudTests",
            dependencies: ["LoomCloud", "LoomTestSupport", "loom", "loom-test-worker", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "LoomSSHTests", dependencies: ["LoomSSH", "LoomTestSupport", "loom-test-worker"]),
        .testTarget(name: "LoomJobQueueTests", dependencies: ["LoomJobQueue", "LoomTestSupport", "loom-test-worker"]),
    ]
)
