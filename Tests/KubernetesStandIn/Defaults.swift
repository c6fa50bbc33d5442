import Foundation

/// The fields the real API server fills in on create, so clients reading objects back (and
/// `kubectl get -o json`) see what a cluster would show.
enum Defaults {
    static func apply(_ resource: String, to object: inout JSON) {
        guard let kind = Discovery.resource(resource) else { return }
        object["kind"] = .string(kind.kind)
        object["apiVersion"] = "v1"
        switch resource {
        case "pods": pod(&object)
        case "services": service(&object)
        case "secrets": secret(&object)
        default: break
        }
    }

    private static func pod(_ pod: inout JSON) {
        var spec = pod["spec"]
        setIfMissing(&spec, "restartPolicy", "Always")
        setIfMissing(&spec, "terminationGracePeriodSeconds", 30)
        setIfMissing(&spec, "dnsPolicy", "ClusterFirst")
        setIfMissing(&spec, "schedulerName", "default-scheduler")
        setIfMissing(&spec, "securityContext", .object([:]))
        setIfMissing(&spec, "serviceAccountName", "default")
        setIfMissing(&spec, "serviceAccount", spec["serviceAccountName"])
        setIfMissing(&spec, "enableServiceLinks", true)
        setIfMissing(&spec, "priority", 0)
        setIfMissing(&spec, "preemptionPolicy", "PreemptLowerPriority")
        var tolerations = spec["tolerations"].array ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
        where !tolerations.contains(where: { $0["key"].string == key }) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
        }
        spec["tolerations"] = .array(tolerations)
        if let containers = spec["containers"].array { spec["containers"] = .array(containers.map(container)) }
        pod["spec"] = spec
        var status = pod["status"]
        status["phase"] = "Pending"
        status["qosClass"] = .string(qosClass(pod))
        pod["status"] = status
    }

    private static func container(_ container: JSON) -> JSON {
        var container = container
        setIfMissing(&container, "terminationMessagePath", "/dev/termination-log")
        setIfMissing(&container, "terminationMessagePolicy", "File")
        let image = container["image"].string ?? ""
        let tagged = image.split(separator: "/").last?.contains(":") == true && !image.hasSuffix(":latest")
        setIfMissing(&container, "imagePullPolicy", tagged ? "IfNotPresent" : "Always")
        var resources = container["resources"].object.map(JSON.object) ?? .object([:])
        // Limits given without requests are the requests too, as the real defaulting does.
        for (name, limit) in resources["limits"].object ?? [:] where resources["requests"][name].isNull {
            resources["requests"][name] = limit
        }
        container["resources"] = resources
        if let ports = container["ports"].array {
            container["ports"] = .array(ports.map { port in
                var port = port
                setIfMissing(&port, "protocol", "TCP")
                return port
            })
        }
        return container
    }

    /// Guaranteed when every container's requests equal its limits for cpu and memory,
    /// BestEffort when none asks for anything, Burstable otherwise.
    private static func qosClass(_ pod: JSON) -> String {
        let containers = pod["spec"]["containers"].array ?? []
        let resources = containers.map { $0["resources"] }
        if resources.allSatisfy({ ($0["requests"].object ?? [:]).isEmpty && ($0["limits"].object ?? [:]).isEmpty }) {
            return "BestEffort"
        }
        let guaranteed = resources.allSatisfy { resources in
            ["cpu", "memory"].allSatisfy { name in
                let limit = Quantity.parse(resources["limits"][name])
                return limit != nil && Quantity.parse(resources["requests"][name]) == limit
            }
        }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    private static func service(_ service: inout JSON) {
        var spec = service["spec"]
        setIfMissing(&spec, "type", "ClusterIP")
        setIfMissing(&spec, "sessionAffinity", "None")
        setIfMissing(&spec, "ipFamilies", ["IPv4"])
        setIfMissing(&spec, "ipFamilyPolicy", "SingleStack")
        setIfMissing(&spec, "internalTrafficPolicy", "Cluster")
        if let ports = spec["ports"].array {
            spec["ports"] = .array(ports.map { port in
                var port = port
                setIfMissing(&port, "protocol", "TCP")
                setIfMissing(&port, "targetPort", port["port"])
                if spec["type"].string == "NodePort" || spec["type"].string == "LoadBalancer" {
                    setIfMissing(&port, "nodePort", .int(Int64.random(in: 30000...32767)))
                }
                return port
            })
        }
        service["spec"] = spec
        if service["status"].isNull { service["status"] = ["loadBalancer": .object([:])] }
    }

    /// `stringData` is write-only: merged into `data` (base64) and dropped.
    private static func secret(_ secret: inout JSON) {
        setIfMissing(&secret, "type", "Opaque")
        guard let strings = secret["stringData"].object else { return }
        var data = secret["data"].object ?? [:]
        for (key, value) in strings { data[key] = .string(Data((value.string ?? "").utf8).base64EncodedString()) }
        secret["data"] = .object(data)
        secret["stringData"] = nil
    }

    private static func setIfMissing(_ object: inout JSON, _ key: String, _ value: JSON) {
        if object[key].isNull { object[key] = value }
    }
}
