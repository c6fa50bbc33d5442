import Foundation
import Testing
@testable import LoomKubernetes

/// A pod's trouble in Kubernetes' words, from the fields the API server reports.
struct PodStateTests {
    func pod(_ status: KubernetesJSON, deleting: Bool = false) -> KubernetesJSON {
        var metadata: KubernetesJSON = ["name": "loom-a-worker-xyz12", "labels": ["loom.dev/component": "worker"]]
        if deleting { metadata["deletionTimestamp"] = "2026-12-02T07:00:00Z" }
        return ["metadata": metadata, "status": status]
    }

    @Test func runningPodsHaveTheirAddressAndNoTrouble() {
        let state = PodState(pod(["phase": "Running", "podIP": "10.1.2.3"]))
        #expect(state.isRunning && state.podIP == "10.1.2.3" && state.trouble == nil && state.component == "worker")
        #expect(PodState(pod(["phase": "Running"], deleting: true)).description == "pod loom-a-worker-xyz12: Terminating")
    }

    @Test func unschedulablePodsSayWhy() {
        let state = PodState(pod(["phase": "Pending", "conditions": [
            ["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient memory."],
        ]]))
        #expect(state.trouble?.description == "Unschedulable: 0/3 nodes are available: 3 Insufficient memory.")
    }

    @Test func imagePullsAndCrashLoopsAreTrouble() {
        let pull = PodState(pod(["phase": "Pending", "containerStatuses": [
            ["name": "worker", "state": ["waiting": ["reason": "ImagePullBackOff", "message": "Back-off pulling image \"nosuch:1\""]]],
        ]]))
        #expect(pull.trouble?.reason == "ImagePullBackOff" && pull.description.contains("nosuch:1"))
        let creating = PodState(pod(["phase": "Pending", "containerStatuses": [["name": "worker", "state": ["waiting": ["reason": "ContainerCreating"]]]]]))
        #expect(creating.trouble == nil, "still starting is not trouble")
        let loop = PodState(pod(["phase": "Running", "containerStatuses": [["name": "worker", "state": ["waiting": ["reason": "CrashLoopBackOff"]]]]]))
        #expect(loop.trouble?.reason == "CrashLoopBackOff")
    }

    @Test func endedPodsSayHow() {
        let killed = PodState(pod(["phase": "Failed", "containerStatuses": [
            ["name": "worker", "state": ["terminated": ["reason": "OOMKilled", "exitCode": 137]]],
        ]]))
        #expect(killed.hasEnded && killed.trouble?.reason == "OOMKilled")
        let failed = PodState(pod(["phase": "Failed", "containerStatuses": [["name": "worker", "state": ["terminated": ["reason": "Error", "exitCode": 3]]]]]))
        #expect(failed.trouble?.description == "Failed: container worker Error: exit code 3")
        let evicted = PodState(pod(["phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."]))
        #expect(evicted.trouble?.description == "Evicted: The node was low on resource: memory.")
    }
}
