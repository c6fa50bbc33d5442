import Foundation
import LoomCore
import LoomDistributed
import Logging

/// The objects of one cluster besides its worker pods — the TLS Secret, the scheduler's Service
/// — and the label-selected deletion of everything the cluster made (`close`, a failed start,
/// `loom kubernetes cleanup`).
struct ClusterResources: Sendable {
    let api: KubernetesAPI
    let cluster: String
    let namespace: String
    let user: String

    /// Where a cluster's TLS files live in its pods, from the Secret `NAME-tls`.
    struct TLSSecret: Sendable {
        static let directory = "/etc/loom/tls"
        let name: String

        func mount(for role: Security.Role) throws -> ClusterPod.TLSMount {
            let directory = Self.directory
            return ClusterPod.TLSMount(secretName: name, directory: directory, arguments: Security.flags(
                caFile: "\(directory)/ca.pem", certificate: "\(directory)/\(role.rawValue).pem", key: "\(directory)/\(role.rawValue)-key.pem"))
        }
    }

    var tlsSecretName: String { "\(cluster)-tls" }

    func labels(component: String?) -> KubernetesJSON {
        var labels: KubernetesJSON = [ClusterLabels.clusterName: .string(cluster), ClusterLabels.user: .string(user)]
        if let component { labels[ClusterLabels.component] = .string(component) }
        return labels
    }

    /// The CA and the scheduler's and workers' certificates and keys, as the Secret the pods mount.
    func createTLSSecret(_ security: Security) async throws -> TLSSecret {
        var data: [String: KubernetesJSON] = ["ca.pem": .string(Data(try Security.text(of: security.authority, what: "CA").utf8).base64EncodedString())]
        for role in [Security.Role.scheduler, .worker] {
            guard let credential = security.credentials[role] else {
                throw LoomError(.configuration, "the TLS settings have no certificate and key for the \(role), which the cluster's pods need")
            }
            data["\(role.rawValue).pem"] = .string(Data(try Security.text(of: credential.certificate, what: "\(role) certificate").utf8).base64EncodedString())
            data["\(role.rawValue)-key.pem"] = .string(Data(try Security.text(of: credential.key, what: "\(role) key").utf8).base64EncodedString())
        }
        let secret: KubernetesJSON = [
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": ["name": .string(tlsSecretName), "labels": labels(component: nil)], "data": .object(data),
        ]
        _ = try await api.create(.secrets, secret, namespace: namespace)
        return TLSSecret(name: tlsSecretName)
    }

    /// The scheduler's Service: its comm and dashboard ports, owned by the scheduler's pod.
    func createSchedulerService(owner: KubernetesJSON) async throws -> (name: String, clusterIP: String) {
        let selector: KubernetesJSON = [ClusterLabels.clusterName: .string(cluster), ClusterLabels.component: "scheduler"]
        let service: KubernetesJSON = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string("\(cluster)-scheduler"), "labels": labels(component: "scheduler"), "ownerReferences": [owner]],
            "spec": [
                "type": "ClusterIP", "selector": selector,
                "ports": [
                    ["name": "comm", "port": .int(ClusterPod.schedulerPort), "targetPort": .int(ClusterPod.schedulerPort), "protocol": "TCP"],
                    ["name": "dashboard", "port": .int(ClusterPod.dashboardPort), "targetPort": .int(ClusterPod.dashboardPort), "protocol": "TCP"],
                ],
            ],
        ]
        let created = try await api.create(.services, service, namespace: namespace)
        guard let name = created.at("metadata.name")?.string, let ip = created.at("spec.clusterIP")?.string, !ip.isEmpty, ip != "None" else {
            throw LoomError(.configuration, "the API server made the scheduler's Service without a cluster IP: \(String(decoding: created.encoded().prefix(300), as: UTF8.self))")
        }
        return (name, ip)
    }

    /// Deletes every pod, Service and Secret labelled with the cluster's name (pods already
    /// terminating are left to finish); what it deleted, and what it could not.
    @discardableResult
    func deleteAll() async -> (deleted: [String], failures: [String]) {
        var deleted: [String] = [], failures: [String] = []
        let selector = ClusterLabels.selector(cluster: cluster)
        for resource in [KubernetesResource.pods, .services, .secrets] {
            do {
                for item in try await api.list(resource, labelSelector: selector, namespace: namespace).items where item.at("metadata.deletionTimestamp") == nil {
                    guard let name = item.at("metadata.name")?.string else { continue }
                    do {
                        if try await api.delete(resource, name, namespace: namespace) { deleted.append("\(resource.rawValue)/\(name)") }
                    } catch {
                        failures.append("\(error)")
                    }
                }
            } catch {
                failures.append("\(error)")
            }
        }
        for failure in failures { Logger.loom("loom.kubernetes").error("cannot delete cluster \(cluster)'s objects: \(failure)") }
        return (deleted, failures)
    }
}

/// Remote mode: the scheduler in a pod of its own, behind a Service, reached over the wire.
struct RemoteSchedulerPod {
    let pod: String
    let address: Address
    let client: Client
    /// Put on the workers' pods, so deleting the scheduler's pod deletes them too.
    let ownerReference: KubernetesJSON

    static func start(template: PodTemplate, resources: ClusterResources, watcher: PodWatcher, security: Security?,
                      tls: ClusterPod.TLSMount?, timeout: Duration) async throws -> RemoteSchedulerPod {
        let scheduler = ClusterPod(role: .scheduler, cluster: resources.cluster, user: resources.user, tls: tls)
        let manifest = try scheduler.make(from: template).pod
        let pod = try await createPod(manifest, api: resources.api, namespace: resources.namespace)
        try await watcher.wait(for: "the scheduler's pod \(pod) to run", timeout: timeout) { seen in
            seen.pods[pod]?.isRunning == true || seen.pods[pod]?.trouble != nil || seen.pods[pod]?.hasEnded == true || seen.deleted.contains(pod)
        }
        guard let state = watcher.pod(pod), state.isRunning else {
            let log = (try? await resources.api.log(pod: pod, tailLines: 20, namespace: resources.namespace)) ?? ""
            throw LoomError(.configuration, "the scheduler's \(watcher.pod(pod)?.description ?? "pod \(pod): deleted")\(log.isEmpty ? "" : "; its log ends:\n\(log)")")
        }
        let owner: KubernetesJSON = ["apiVersion": "v1", "kind": "Pod", "name": .string(pod), "uid": .string(state.uid ?? "")]
        let service = try await resources.createSchedulerService(owner: owner)
        let address = try Address(parsing: "\(security == nil ? "tcp" : "tls")://\(service.clusterIP):\(ClusterPod.schedulerPort)")
        // Running is not listening yet: the program is starting.
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let client = try await Client(address: address, security: security, setAsDefault: false)
                return RemoteSchedulerPod(pod: pod, address: address, client: client, ownerReference: owner)
            } catch {
                guard let state = watcher.pod(pod), state.isRunning, ContinuousClock.now < deadline else {
                    throw LoomError(.configuration, "cannot reach the scheduler in \(watcher.pod(pod)?.description ?? "pod \(pod): deleted") through its Service at \(address): \(error)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
