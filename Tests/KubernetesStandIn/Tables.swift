import Foundation

/// Server-side printing: what `kubectl get` shows comes from the server as a `meta.k8s.io/v1`
/// Table when kubectl asks with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. The
/// columns and cells follow the real printers (kubectl hides priority-1 columns unless `-o wide`).
enum Tables {
    /// Whether an Accept header asks for a Table.
    static func wanted(_ accept: String?) -> Bool { accept?.contains("as=Table") ?? false }

    static func table(_ resource: String, _ objects: [JSON], resourceVersion: Int?, includeObject: String?) -> JSON {
        let columns = columns(resource)
        let rows: [JSON] = objects.map { object in
            ["cells": .array(cells(resource, object)), "object": rowObject(object, includeObject)]
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": ["resourceVersion": resourceVersion.map { .string(String($0)) } ?? nil],
                "columnDefinitions": .array(columns.map { column in
                    ["name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                     "description": .string(column.description), "priority": .int(column.priority)]
                }),
                "rows": .array(rows)]
    }

    /// `includeObject=Metadata` (the default): a PartialObjectMetadata, whose labels
    /// `--show-labels` prints; `Object`: the whole object; `None`: nothing.
    private static func rowObject(_ object: JSON, _ include: String?) -> JSON {
        switch include {
        case "None": nil
        case "Object": object
        default: ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]]
        }
    }

    private typealias Column = (name: String, type: String, format: String, description: String, priority: Int64)

    private static func columns(_ resource: String) -> [Column] {
        let name: Column = ("Name", "string", "name", "Name must be unique within a namespace.", 0)
        let age: Column = ("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0)
        switch resource {
        case "pods":
            return [name,
                    ("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0),
                    ("Status", "string", "", "The aggregate status of the containers in this pod.", 0),
                    ("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
                    age,
                    ("IP", "string", "", "The IP address assigned to this pod.", 1),
                    ("Node", "string", "", "The name of the node this pod is assigned to.", 1),
                    ("Nominated Node", "string", "", "The name of the node this pod is nominated to run on.", 1),
                    ("Readiness Gates", "string", "", "The readiness gates of this pod.", 1)]
        case "services":
            return [name,
                    ("Type", "string", "", "The type of this service.", 0),
                    ("Cluster-IP", "string", "", "The cluster IP of this service.", 0),
                    ("External-IP", "string", "", "The external IPs of this service.", 0),
                    ("Port(s)", "string", "", "The ports this service exposes.", 0),
                    age,
                    ("Selector", "string", "", "Route service traffic to pods with label keys and values matching this selector.", 1)]
        case "secrets":
            return [name, ("Type", "string", "", "The type of secret.", 0), ("Data", "string", "", "The number of entries in the data.", 0), age]
        default:
            return [name, ("Status", "string", "", "The status of the namespace.", 0), age]
        }
    }

    private static func cells(_ resource: String, _ object: JSON) -> [JSON] {
        let name = JSON.string(object["metadata"]["name"].string ?? "")
        let age = JSON.string(humanDuration(since: object["metadata"]["creationTimestamp"].string))
        switch resource {
        case "pods":
            let pod = PodPrinting(object)
            return [name, .string(pod.ready), .string(pod.status), .string(pod.restarts), age,
                    .string(object["status"]["podIP"].string ?? "<none>"), .string(object["spec"]["nodeName"].string ?? "<none>"),
                    "<none>", "<none>"]
        case "services":
            let spec = object["spec"]
            let ports = (spec["ports"].array ?? []).map { port in
                let node = port["nodePort"].int.map { ":\($0)" } ?? ""
                return "\(port["port"].int ?? 0)\(node)/\(port["protocol"].string ?? "TCP")"
            }
            let selector = spec["selector"].stringMap.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let external = spec["type"].string == "LoadBalancer" ? "<pending>" : "<none>"
            return [name, .string(spec["type"].string ?? "ClusterIP"), .string(spec["clusterIP"].string ?? "<none>"), .string(external),
                    .string(ports.isEmpty ? "<none>" : ports.joined(separator: ",")), age,
                    .string(selector.isEmpty ? "<none>" : selector.joined(separator: ","))]
        case "secrets":
            return [name, .string(object["type"].string ?? "Opaque"), .int(Int64(object["data"].object?.count ?? 0)), age]
        default:
            return [name, .string(object["status"]["phase"].string ?? "Active"), age]
        }
    }

    /// apimachinery's `duration.HumanDuration`: `45s`, `5m4s`, `3h`, `2d3h`.
    static func humanDuration(since timestamp: String?) -> String {
        guard let date = Timestamp.parse(timestamp) else { return "<unknown>" }
        let seconds = Int(Date().timeIntervalSince(date))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60, hours = seconds / 3600, days = hours / 24
        func pair(_ big: Int, _ bigUnit: String, _ small: Int, _ smallUnit: String) -> String {
            small == 0 ? "\(big)\(bigUnit)" : "\(big)\(bigUnit)\(small)\(smallUnit)"
        }
        if minutes < 10 { return pair(minutes, "m", seconds % 60, "s") }
        if minutes < 180 { return "\(minutes)m" }
        if hours < 8 { return pair(hours, "h", minutes % 60, "m") }
        if hours < 48 { return "\(hours)h" }
        if hours < 192 { return pair(days, "d", hours % 24, "h") }
        if hours < 24 * 365 * 2 { return "\(days)d" }
        if hours < 24 * 365 * 8 { return pair(days / 365, "y", days % 365, "d") }
        return "\(days / 365)y"
    }
}

/// The READY, STATUS and RESTARTS of kubectl's pod printer (`printPod`): the first container's
/// waiting or terminated reason wins, `Completed` with a container still running reads
/// Running, and a deletionTimestamp reads Terminating.
struct PodPrinting {
    let ready: String
    let status: String
    let restarts: String

    init(_ pod: JSON) {
        var reason = pod["status"]["reason"].string ?? pod["status"]["phase"].string ?? "Pending"
        var readyCount = 0
        var restartCount: Int64 = 0
        var lastRestart: Date?
        var hasRunning = false
        let statuses = pod["status"]["containerStatuses"].array ?? []
        for status in statuses.reversed() {
            restartCount += status["restartCount"].int ?? 0
            if let finished = Timestamp.parse(status["lastState"]["terminated"]["finishedAt"].string), finished > (lastRestart ?? .distantPast) {
                lastRestart = finished
            }
            let state = status["state"]
            if let waiting = state["waiting"]["reason"].string, !waiting.isEmpty {
                reason = waiting
            } else if let terminated = state["terminated"]["reason"].string, !terminated.isEmpty {
                reason = terminated
            } else if !state["terminated"].isNull {
                let signal = state["terminated"]["signal"].int ?? 0
                reason = signal != 0 ? "Signal:\(signal)" : "ExitCode:\(state["terminated"]["exitCode"].int ?? 0)"
            } else if status["ready"].bool == true, !state["running"].isNull {
                hasRunning = true
                readyCount += 1
            }
        }
        if reason == "Completed" && hasRunning {
            let readyCondition = (pod["status"]["conditions"].array ?? []).first { $0["type"].string == "Ready" }
            reason = readyCondition?["status"].string == "True" ? "Running" : "NotReady"
        }
        if !pod["metadata"]["deletionTimestamp"].isNull { reason = "Terminating" }
        status = reason
        ready = "\(readyCount)/\(pod["spec"]["containers"].array?.count ?? 0)"
        if let lastRestart {
            restarts = "\(restartCount) (\(Tables.humanDuration(since: Timestamp.string(lastRestart))) ago)"
        } else {
            restarts = "\(restartCount)"
        }
    }
}
