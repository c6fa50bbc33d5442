import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KubernetesStandIn
import Loom
import LoomTestSupport
import Synchronization
import Testing

/// KubeCluster against the stand-in API server: pods from a template, each a network namespace
/// of its own running the worker executable; the real kubectl looks on.
@Suite(.serialized, .enabled(if: kubernetesUnavailable == nil, "Kubernetes stand-in: \(kubernetesUnavailable ?? "")"))
struct KubeClusterTests {
    func options(_ standIn: KubernetesStandIn, deploy: KubeClusterOptions.Deploy = .local) -> KubeClusterOptions {
        // Local mode: the scheduler listens on the node's address on the pod network.
        KubeClusterOptions(deploy: deploy, schedulerHost: standIn.nodeAddress, dashboardAddress: nil, startTimeout: .seconds(120),
                           troublePatience: .seconds(3))
    }

    @Test func scalesToTwentyPodsComputesShrinksKeepingDataAndClosesClean() async throws {
        try await withKubernetes { standIn, credentials in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-spec-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let spec = "\(directory)/worker-spec.yaml"
            try String(decoding: try JSONEncoder().encode(try workerTemplate().pod), as: UTF8.self).write(toFile: spec, atomically: true, encoding: .utf8)
            let cluster = try await KubeCluster.fromYAML(spec, options: options(standIn), credentials: credentials)
            do {
                try await cluster.scale(20)
                let client = try await Client(cluster, setAsDefault: false)
                let workers = try await client.schedulerInfo()
                let pods = standIn.pods().filter { $0.labels["loom.dev/component"] == "worker" }
                #expect(workers.count == 20 && pods.count == 20)
                #expect(Set(workers.map(\.name)) == Set(pods.map(\.name)), "each worker is named as its pod")
                #expect(Set(workers.map { String($0.address.description.split(separator: "/").last!.split(separator: ":")[0]) }) == Set(pods.compactMap(\.podIP)),
                        "each worker serves on its own pod's IP")
                #expect(pods.allSatisfy { $0.labels["loom.dev/cluster-name"] == cluster.name && $0.labels["app"] == "loom-tests" })
                let arguments = pods.first?.object["spec"]["containers"].array?.first?["args"].array?.compactMap(\.string) ?? []
                #expect(arguments.joined(separator: " ").contains("--nthreads 1 --memory-limit 1073741824"), "threads and memory limit from the resources: \(arguments)")
                // Values spread over the workers; a quarter of the workers will stay.
                let values = try await client.scatter(contentsOf: (0..<40).map { Array(repeating: UInt8($0), count: 10_000) })
                let sums = try await client.gather(try await client.map(TestTasks.inc, Array(0..<200)))
                #expect(sums == Array(1...200))
                try await cluster.scale(5)
                let remaining = try await standIn.waitForPods(timeout: .seconds(60)) { pods in pods.count == 5 }
                let staying = try await client.schedulerInfo()
                #expect(Set(staying.map(\.name)) == Set(remaining.map(\.name)), "the retired workers' pods are the ones deleted")
                #expect(try await client.gather(values) == (0..<40).map { Array(repeating: UInt8($0), count: 10_000) }, "no value was lost")
                let listed = try await kubectl(standIn, ["get", "pods", "-l", "loom.dev/cluster-name=\(cluster.name)", "-o", "name"])
                #expect(Set(listed.output.split(separator: "\n").map { String($0.dropFirst("pod/".count)) }) == Set(remaining.map(\.name)), "\(listed)")
                await client.close()
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            #expect(standIn.pods().isEmpty, "close() deletes every pod")
            #expect(try await kubectl(standIn, ["get", "pods,services,secrets", "-l", "loom.dev/cluster-name=\(cluster.name)", "-o", "name"]).output.isEmpty)
        }
    }

    @Test func adaptGrowsUnderQueuedWorkAndShrinksByAQuarterAfterTheCoolDown() async throws {
        try await withKubernetes { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn), credentials: credentials)
            // Every change of the number of live pods, as it happens.
            let counts = Mutex<[(count: Int, at: ContinuousClock.Instant)]>([])
            let observer = Task {
                while !Task.isCancelled {
                    let count = standIn.pods().filter { !$0.isTerminating }.count
                    counts.withLock { if $0.last?.count != count { $0.append((count, .now)) } }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            defer { observer.cancel() }
            do {
                let client = try await Client(cluster, setAsDefault: false)
                cluster.adapt(minimum: 1, maximum: 8, interval: .milliseconds(300), waitCount: 1, coolDown: .seconds(3))
                // 100 tasks of 0.5 s: 50 s for one worker, 10 for the 5 s target, so the maximum.
                let futures: [Future<Int>] = try await client.persist((0..<100).map { TestTasks.sleepThenEcho.delayed($0, 0.5) })
                #expect(try await client.gather(futures) == Array(0..<100))
                _ = consume futures
                try await eventually("the idle cluster to shrink to the minimum", timeout: .seconds(120)) {
                    counts.withLock { $0.last?.count == 1 } && cluster.workerNames.count == 1
                }
                let seen = counts.withLock { $0 }
                let peak = seen.map(\.count).max() ?? 0
                #expect(peak == 8, "grew to the maximum under load: \(seen.map(\.count))")
                // A step is the pods one decision deleted, seen within a second of each other.
                var steps: [(from: Int, to: Int, at: ContinuousClock.Instant)] = []
                for (before, after) in zip(seen, seen.dropFirst()) where after.count < before.count {
                    if let last = steps.last, last.to == before.count, after.at - last.at < .seconds(1) {
                        steps[steps.count - 1].to = after.count
                    } else {
                        steps.append((before.count, after.count, after.at))
                    }
                }
                let described = steps.map { "\($0.from)→\($0.to)" }.joined(separator: ", ")
                #expect(steps.count >= 4, "shrank in steps: \(described)")
                for step in steps { #expect(step.from - step.to <= max(1, step.from / 4), "at most a quarter per step: \(described)") }
                for (earlier, later) in zip(steps, steps.dropFirst()) {
                    #expect(later.at - earlier.at >= .seconds(2.5), "a cool-down between steps: \(described)")
                }
                await client.close()
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            #expect(standIn.pods().isEmpty)
        }
    }

    @Test func aPodDeletedByKubectlIsReplacedAndKubectlSeesTheCluster() async throws {
        try await withKubernetes { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn), credentials: credentials)
            do {
                try await cluster.scale(2)
                let client = try await Client(cluster, setAsDefault: false)
                let victim = try #require(cluster.workerNames.first)
                // kubectl's table, logs and watch, against the stand-in.
                let table = try await kubectl(standIn, ["get", "pods", "-l", "loom.dev/component=worker"])
                #expect(table.output.hasPrefix("NAME") && table.output.contains(victim) && table.output.contains("Running"), "\(table)")
                let logs = try await kubectl(standIn, ["logs", victim])
                #expect(logs.status == 0 && logs.output.contains("worker ready"), "the worker's log: \(logs)")
                let watch = Task { try await kubectl(standIn, ["get", "pods", "--watch", "--request-timeout=20s", "-l", "loom.dev/cluster-name=\(cluster.name)"]) }
                let deleted = try await kubectl(standIn, ["delete", "pod", victim])
                #expect(deleted.output.contains("pod \"\(victim)\" deleted"), "\(deleted)")
                try await eventually("a new pod in place of \(victim)", timeout: .seconds(60)) {
                    let names = standIn.pods().filter { !$0.isTerminating && $0.phase == "Running" }.map(\.name)
                    return names.count == 2 && !names.contains(victim)
                }
                try await client.waitForWorkers(2, timeout: .seconds(60))
                #expect(!cluster.workerNames.contains(victim) && cluster.workerNames.count == 2)
                #expect(try await client.submit(TestTasks.inc, 1).result() == 2)
                let watched = try await watch.value
                #expect(watched.output.contains(victim) && watched.output.contains("Terminating"), "kubectl watched the deletion: \(watched)")
                await client.close()
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
        }
    }

    @Test func theSchedulerInAPodBehindAService() async throws {
        try await withKubernetes { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn, deploy: .remote), credentials: credentials)
            do {
                let scheduler = try #require(cluster.schedulerPod)
                let service = try #require(standIn.object("services", "\(cluster.name)-scheduler"))
                #expect(service["spec"]["ports"].array?.compactMap { $0["port"].int } == [8786, 8787])
                try await cluster.scale(3)
                let client = try await Client(cluster, setAsDefault: false)
                #expect(cluster.schedulerAddress.description.contains(service["spec"]["clusterIP"].string ?? "?"), "reached through the Service")
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<30))) == Array(1...30))
                let workers = standIn.pods().filter { $0.labels["loom.dev/component"] == "worker" }
                #expect(workers.count == 3)
                #expect(workers.allSatisfy { $0.object["metadata"]["ownerReferences"].array?.first?["name"].string == scheduler }, "workers are owned by the scheduler's pod")
                await client.close()
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            #expect(standIn.pods().isEmpty && standIn.object("services", "\(cluster.name)-scheduler") == nil)
        }
    }

    @Test func withTLSTheCertificatesReachThePodsThroughASecretAndTheDashboardListsThePods() async throws {
        try await withKubernetes { standIn, credentials in
            var options = options(standIn)
            options.security = try Security.temporary()
            options.dashboardAddress = ":0"
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options, credentials: credentials)
            do {
                #expect(standIn.object("secrets", "\(cluster.name)-tls")?["data"]["ca.pem"].string != nil)
                try await cluster.scale(2)
                #expect(cluster.schedulerAddress.description.hasPrefix("tls://"))
                let arguments = standIn.pods().first?.object["spec"]["containers"].array?.first?["args"].array?.compactMap(\.string) ?? []
                #expect(arguments.joined(separator: " ").contains("--tls-ca-file /etc/loom/tls/ca.pem --tls-cert /etc/loom/tls/worker.pem"), "\(arguments)")
                let items = standIn.pods().first?.object["spec"]["volumes"].array?.first?["secret"]["items"].array?.compactMap { $0["key"].string }
                #expect(items == ["ca.pem", "worker.pem", "worker-key.pem"], "a worker's pod gets no scheduler key")
                let client = try await Client(cluster, setAsDefault: false)
                #expect(try await client.gather(try await client.map(TestTasks.inc, Array(0..<20))) == Array(1...20))
                // The dashboard's pods page: each pod, its phase and address.
                let link = try #require(cluster.dashboardLink)
                let base = String(link.dropLast("/status".count))
                let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/api/pods")!)
                let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                let pods = try #require(report["pods"] as? [[String: Any]])
                #expect(Set(pods.compactMap { $0["name"] as? String }) == Set(cluster.workerNames) && pods.allSatisfy { $0["phase"] as? String == "Running" },
                        "\(report)")
                let (page, _) = try await URLSession.shared.data(from: URL(string: base + "/pods")!)
                #expect(String(decoding: page, as: UTF8.self).contains("window.loomPods = {"))
                await client.close()
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            #expect(standIn.object("secrets", "\(cluster.name)-tls") == nil, "close() deletes the Secret")
        }
    }

    @Test func thePodsPageShowsEachPodAndItsTroubleInHeadlessChromium() async throws {
        try await withKubernetes { standIn, credentials in
            var options = options(standIn)
            options.dashboardAddress = ":0"
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options, credentials: credentials)
            do {
                try await cluster.scale(1)
                // A pod of the cluster whose image cannot be pulled, as a bad rollout would make.
                let labels: KubernetesJSON = ["loom.dev/cluster-name": .string(cluster.name), "loom.dev/component": "worker"]
                _ = try await cluster.api.create(.pods, ["metadata": ["generateName": .string("\(cluster.name)-worker-"), "labels": labels],
                                                         "spec": ["containers": [["name": "worker", "image": "registry.example/gone:1"]]]])
                try await eventually("the cluster to see the pod's trouble") { cluster.pods.contains { $0.trouble?.reason == "ImagePullBackOff" } }
                let link = try #require(cluster.dashboardLink)
                let (_, dom, error) = try await chromium(link.replacingOccurrences(of: "/status", with: "/pods"), ["--dump-dom"])
                #expect(dom.contains("id=\"pods\""), "the pods table: \(error)")
                for pod in cluster.pods { #expect(dom.contains(pod.name), "\(pod.name) is listed") }
                #expect(dom.contains("ImagePullBackOff") && dom.contains("Back-off pulling image"), "the trouble is shown: \(dom.prefix(3000))")
                #expect(dom.contains("2 pods in namespace default") && dom.contains("1 cannot run"))
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            #expect(standIn.pods().isEmpty, "close() also deletes the pod it did not make but that carries its label")
        }
    }

    @Test func podsThatCannotStartAreTheErrorOfScaleNamingThePodAndReason() async throws {
        try await withKubernetes { standIn, credentials in
            let unpullable = try await KubeCluster(podTemplate: try workerTemplate(image: "registry.example/no-such-image:9"), options: options(standIn), credentials: credentials)
            let pull = await #expect(throws: LoomError.self) { try await unpullable.scale(1) }
            #expect(pull?.message.contains("ImagePullBackOff") == true || pull?.message.contains("ErrImagePull") == true, "\(String(describing: pull))")
            #expect(pull?.message.contains("pod \(unpullable.name)-worker-") == true)
            await unpullable.close()
            let huge = try await KubeCluster(podTemplate: try workerTemplate(memoryRequest: "900Gi", memoryLimit: "900Gi"), options: options(standIn), credentials: credentials)
            let unschedulable = await #expect(throws: LoomError.self) { try await huge.scale(1) }
            #expect(unschedulable?.message.contains("Unschedulable") == true && unschedulable?.message.contains("Insufficient memory") == true,
                    "\(String(describing: unschedulable))")
            await huge.close()
            #expect(standIn.pods().isEmpty)
        }
    }

    @Test func aTakenGeneratedNameIsRetriedAndWaitingSurfacesTrouble() async throws {
        try await withKubernetes { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn), credentials: credentials)
            do {
                standIn.setNextGeneratedNames(["aaaaa"])
                try await cluster.scale(1)
                #expect(cluster.workerNames == ["\(cluster.name)-worker-aaaaa"])
                // The API server generates the taken name again: 409 AlreadyExists, and a new name.
                standIn.setNextGeneratedNames(["aaaaa", "bbbbb"])
                try await cluster.scale(2)
                #expect(Set(cluster.workerNames) == ["\(cluster.name)-worker-aaaaa", "\(cluster.name)-worker-bbbbb"])
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
            // Waiting for workers that cannot come says why, rather than waiting on.
            let stuck = try await KubeCluster(podTemplate: try workerTemplate(image: "registry.example/missing:1"), options: options(standIn), credentials: credentials)
            try await stuck.base.scale(1, wait: false)
            let error = await #expect(throws: LoomError.self) { try await stuck.waitForWorkers(1, timeout: .seconds(60)) }
            #expect(error?.message.contains("cannot run") == true && error?.message.contains("Back-off pulling image") == true, "\(String(describing: error))")
            #expect(stuck.pods.first?.trouble != nil, "cluster.pods says so too: \(stuck.pods)")
            await stuck.close()
        }
    }

    @Test func aMissingPermissionIsNamed() async throws {
        let limited = KubernetesStandIn.User(name: "reader", token: UUID().uuidString,
                                             allowed: [.init("list", "pods"), .init("watch", "pods"), .init("get", "pods")])
        try await withKubernetes(users: [limited]) { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn), credentials: credentials)
            let error = await #expect(throws: (any Error).self) { try await cluster.scale(1) }
            #expect("\(error!)".contains("pods create is forbidden in namespace default") && "\(error!)".contains("User \"reader\""), "\(error!)")
            await cluster.close()
        }
    }

    @Test func theWatchListsAgainWhenItsVersionIsGone() async throws {
        try await withKubernetes { standIn, credentials in
            let cluster = try await KubeCluster(podTemplate: try workerTemplate(), options: options(standIn), credentials: credentials)
            do {
                try await cluster.scale(1)
                standIn.compact()
                standIn.expireWatches()  // the watch comes back with an old version: 410 Gone
                try await cluster.scale(2)
                #expect(cluster.pods.filter(\.isRunning).count == 2, "the relisted watch sees the new pod: \(cluster.pods)")
            } catch {
                await cluster.close()
                throw error
            }
            await cluster.close()
        }
    }

    @Test func theWorkersOfACrashedProgramEndAndLoomKubernetesCleanupRemovesTheRest() async throws {
        try await withKubernetes { standIn, _ in
            let config = try standIn.writeKubeconfig()
            let name = "loom-crash-\(UInt16.random(in: 0...UInt16.max))"
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).out").path
            FileManager.default.createFile(atPath: output, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: output) }
            let program = Process()
            program.executableURL = URL(fileURLWithPath: TestTasks.workerExecutable)
            program.arguments = ["kube-client", config, standIn.nodeAddress, name, workerImage]
            program.standardOutput = FileHandle(forWritingAtPath: output)
            program.standardError = FileHandle(forWritingAtPath: output)
            try program.run()
            defer { if program.isRunning { kill(program.processIdentifier, SIGKILL) } }
            try await eventually("the program's cluster to run a worker", timeout: .seconds(120)) {
                (try? String(contentsOfFile: output, encoding: .utf8))?.contains("ready") == true || !program.isRunning
            }
            #expect(program.isRunning, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            kill(program.processIdentifier, SIGKILL)
            // Its scheduler gone, the worker stops and its pod ends; the pod object stays.
            let ended = try await standIn.waitForPods(timeout: .seconds(90)) { pods in pods.count == 1 && ["Succeeded", "Failed"].contains(pods[0].phase) }
            #expect(ended[0].name.hasPrefix("\(name)-worker-"))
            let loom = URL(fileURLWithPath: TestTasks.workerExecutable).deletingLastPathComponent().appendingPathComponent("loom").path
            let listed = try await runProcess(loom, ["kubernetes", "list", "--kubeconfig", config])
            #expect(listed.output.contains("\(name): 1 pod"), "\(listed)")
            let cleaned = try await runProcess(loom, ["kubernetes", "cleanup", "--cluster", name, "--kubeconfig", config])
            #expect(cleaned.status == 0 && cleaned.output.contains("deleted pods/\(ended[0].name)"), "\(cleaned)")
            try await standIn.waitForPods(timeout: .seconds(60)) { $0.isEmpty }
        }
    }

    @Test func cleanupRemovesACrashedClustersLeftovers() async throws {
        try await withKubernetes { standIn, credentials in
            let api = try KubernetesAPI(credentials: credentials)
            // What a crashed program leaves: a labelled pod and Service.
            let labels: KubernetesJSON = ["loom.dev/cluster-name": "loom-crashed", "loom.dev/component": "worker"]
            _ = try await api.create(.pods, ["metadata": ["name": "loom-crashed-worker-a", "labels": labels],
                                             "spec": ["containers": [["name": "worker", "image": .string(workerImage), "args": ["--help"]]]]])
            _ = try await api.create(.services, ["metadata": ["name": "loom-crashed-scheduler", "labels": labels],
                                                 "spec": ["ports": [["port": 8786]], "selector": labels]])
            #expect(try await KubeCluster.list(api: api)["loom-crashed"]?.count == 1)
            let deleted = try await KubeCluster.cleanup(cluster: "loom-crashed", api: api)
            #expect(Set(deleted) == ["pods/loom-crashed-worker-a", "services/loom-crashed-scheduler"])
            try await standIn.waitForPods(timeout: .seconds(60)) { $0.isEmpty }
            #expect(try await KubeCluster.cleanup(cluster: "loom-crashed", api: api).isEmpty, "nothing left the second time")
            await api.shutdown()
        }
    }
}
