import Foundation

/// What the kubelet knows of one container, and how it reads in `status.containerStatuses`.
struct ContainerState {
    enum State: Equatable {
        case waiting(reason: String, message: String?)
        case running(startedAt: String)
        case terminated(Termination)
    }

    struct Termination: Equatable {
        var exitCode: Int32
        var signal: Int32?
        var reason: String
        var message: String?
        var startedAt: String?
        var finishedAt: String
        var containerID: String?
    }

    let name: String
    let image: String
    var state: State = .waiting(reason: "ContainerCreating", message: nil)
    var lastTermination: Termination?
    var restartCount = 0
    var containerID: String?
    /// The main process while it runs.
    var pid: Int32?
    /// Set when the memory watch killed it, so its exit reads OOMKilled.
    var oomKilled = false

    var isRunning: Bool { if case .running = state { true } else { false } }
    var isTerminated: Bool { if case .terminated = state { true } else { false } }

    var json: JSON {
        var status: JSON = ["name": .string(name), "image": .string(image), "imageID": "",
                            "ready": .bool(isRunning), "started": .bool(isRunning), "restartCount": .int(Int64(restartCount)),
                            "state": Self.json(state), "lastState": lastTermination.map { Self.json(.terminated($0)) } ?? .object([:])]
        if let containerID { status["containerID"] = .string(containerID) }
        return status
    }

    private static func json(_ state: State) -> JSON {
        switch state {
        case .waiting(let reason, let message):
            return ["waiting": ["reason": .string(reason), "message": message.map(JSON.string) ?? nil]]
        case .running(let startedAt):
            return ["running": ["startedAt": .string(startedAt)]]
        case .terminated(let termination):
            return ["terminated": [
                "exitCode": .int(Int64(termination.exitCode)), "signal": termination.signal.map { .int(Int64($0)) } ?? nil,
                "reason": .string(termination.reason), "message": termination.message.map(JSON.string) ?? nil,
                "startedAt": termination.startedAt.map(JSON.string) ?? nil, "finishedAt": .string(termination.finishedAt),
                "containerID": termination.containerID.map(JSON.string) ?? nil,
            ]]
        }
    }
}

/// A pod's `status` as the kubelet reports it: phase, addresses, conditions (with the time
/// each last changed) and container statuses.
struct PodStatusReport {
    var phase = "Pending"
    var podIP: String?
    var hostIP: String
    var startTime = Timestamp.now()
    var containers: [ContainerState]
    private var transitions: [String: (status: String, time: String)] = [:]

    init(hostIP: String, containers: [ContainerState]) {
        self.hostIP = hostIP
        self.containers = containers
    }

    /// Applies the report to the stored pod (keeping what others wrote: PodScheduled, qosClass).
    mutating func apply(to pod: inout JSON) {
        var status = pod["status"]
        status["phase"] = .string(phase)
        status["hostIP"] = .string(hostIP)
        status["hostIPs"] = [["ip": .string(hostIP)]]
        if let podIP {
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
        }
        status["startTime"] = .string(startTime)
        status["containerStatuses"] = .array(containers.map(\.json))
        let scheduled = (status["conditions"].array ?? []).first { $0["type"].string == "PodScheduled" }
        let unready = containers.filter { !$0.isRunning }.map(\.name)
        let finished = phase == "Succeeded" || phase == "Failed"
        let ready = unready.isEmpty && !finished
        let readyReason = finished ? "PodCompleted" : "ContainersNotReady"
        let readyMessage = finished ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        var conditions = [
            condition("PodReadyToStartContainers", podIP != nil && !finished),
            condition("Initialized", true, reason: finished ? "PodCompleted" : nil),
            condition("Ready", ready, reason: ready ? nil : readyReason, message: ready ? nil : readyMessage),
            condition("ContainersReady", ready, reason: ready ? nil : readyReason, message: ready ? nil : readyMessage),
        ]
        if let scheduled { conditions.append(scheduled) }
        status["conditions"] = .array(conditions)
        pod["status"] = status
    }

    private mutating func condition(_ type: String, _ value: Bool, reason: String? = nil, message: String? = nil) -> JSON {
        let status = value ? "True" : "False"
        if transitions[type]?.status != status { transitions[type] = (status, Timestamp.now()) }
        return ["type": .string(type), "status": .string(status), "lastProbeTime": nil,
                "lastTransitionTime": .string(transitions[type]!.time),
                "reason": reason.map(JSON.string) ?? nil, "message": message.map(JSON.string) ?? nil]
    }
}
