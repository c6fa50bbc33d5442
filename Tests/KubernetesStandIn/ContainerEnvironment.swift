import Foundation

/// A container's environment and command line as the kubelet makes them: the image's
/// variables, service links, `envFrom` and `env` (values, fieldRef, resourceFieldRef,
/// secretKeyRef), and `$(VAR)` expansion of env values, command and args.
struct ContainerEnvironment {
    /// What a fieldRef or a service link reads, known once the pod has its address.
    struct Context {
        let pod: JSON
        let podIP: String
        let hostIP: String
        let nodeName: String
        let nodeCPU: Double
        let nodeMemory: Int64
        let apiPort: Int
        let services: [JSON]
        let secrets: (String) -> JSON?
    }

    /// Why a container cannot be made (a missing secret): CreateContainerConfigError.
    struct ConfigError: Error {
        let message: String
    }

    private(set) var variables: [String: String]

    /// The environment, in precedence order: the stand-in's PATH and HOME, HOSTNAME, the
    /// image's, the service links, `envFrom`, then `env`.
    init(container: JSON, image: KubernetesStandIn.Image?, context: Context) throws(ConfigError) {
        let own = ProcessInfo.processInfo.environment
        var variables: [String: String] = ["HOSTNAME": context.pod["metadata"]["name"].string ?? ""]
        variables["PATH"] = own["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        if let home = own["HOME"] { variables["HOME"] = home }
        variables.merge(image?.environment ?? [:]) { $1 }
        if context.pod["spec"]["enableServiceLinks"].bool != false { variables.merge(Self.serviceLinks(context.services)) { $1 } }
        variables.merge(Self.apiServerLinks(host: context.hostIP, port: context.apiPort)) { $1 }
        for source in container["envFrom"].array ?? [] {
            let prefix = source["prefix"].string ?? ""
            guard let name = source["secretRef"]["name"].string else { continue }
            guard let secret = context.secrets(name) else {
                if source["secretRef"]["optional"].bool == true { continue }
                throw ConfigError(message: "secret \"\(name)\" not found")
            }
            for (key, value) in secret["data"].object ?? [:] { variables[prefix + key] = Self.decode(value) }
        }
        for entry in container["env"].array ?? [] {
            guard let name = entry["name"].string else { continue }
            if let value = entry["value"].string {
                variables[name] = Self.expand(value, with: variables)
            } else if let value = try Self.valueFrom(entry["valueFrom"], container: container, context: context) {
                variables[name] = value
            } else if entry["valueFrom"].isNull {
                variables[name] = ""
            }
        }
        self.variables = variables
    }

    /// `command` (or the image's entrypoint) and `args`, `$(VAR)`-expanded.
    func argv(container: JSON, image: KubernetesStandIn.Image?) -> [String] {
        let command = container["command"].array?.compactMap(\.string) ?? image?.entrypoint ?? []
        let args = container["args"].array?.compactMap(\.string) ?? []
        return (command + args).map { Self.expand($0, with: variables) }
    }

    /// The kubelet's expansion: `$(NAME)` becomes the variable's value, or stays as written
    /// when there is none; `$$` is a literal `$`; any other `$` stays.
    static func expand(_ input: String, with variables: [String: String]) -> String {
        let characters = Array(input)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                output.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            if next == "$" {
                output.append("$")
                index += 2
            } else if next == "(", let close = characters[(index + 2)...].firstIndex(of: ")") {
                let name = String(characters[(index + 2)..<close])
                output += variables[name] ?? "$(\(name))"
                index = close + 1
            } else {
                output.append("$")
                index += 1
            }
        }
        return output
    }

    private static func valueFrom(_ source: JSON, container: JSON, context: Context) throws(ConfigError) -> String? {
        if let path = source["fieldRef"]["fieldPath"].string { return field(path, context) }
        if let resource = source["resourceFieldRef"]["resource"].string {
            return resourceField(resource, divisor: source["resourceFieldRef"]["divisor"], container: container, context: context)
        }
        if let name = source["secretKeyRef"]["name"].string, let key = source["secretKeyRef"]["key"].string {
            let optional = source["secretKeyRef"]["optional"].bool == true
            guard let secret = context.secrets(name) else {
                if optional { return nil }
                throw ConfigError(message: "secret \"\(name)\" not found")
            }
            guard let value = secret["data"][key].string else {
                if optional { return nil }
                throw ConfigError(message: "couldn't find key \(key) in Secret \(context.pod["metadata"]["namespace"].string ?? "")/\(name)")
            }
            return decode(.string(value))
        }
        return nil
    }

    private static func field(_ path: String, _ context: Context) -> String? {
        let metadata = context.pod["metadata"]
        switch path {
        case "metadata.name", "metadata.namespace", "metadata.uid": return metadata[String(path.dropFirst("metadata.".count))].string
        case "spec.nodeName": return context.nodeName
        case "spec.serviceAccountName": return context.pod["spec"]["serviceAccountName"].string
        case "status.podIP", "status.podIPs": return context.podIP
        case "status.hostIP", "status.hostIPs": return context.hostIP
        default:
            // metadata.labels['key'] and metadata.annotations['key'].
            for map in ["labels", "annotations"] where path.hasPrefix("metadata.\(map)['") && path.hasSuffix("']") {
                let key = String(path.dropFirst("metadata.\(map)['".count).dropLast(2))
                return metadata[map][key].string ?? ""
            }
            return nil
        }
    }

    /// limits.cpu (whole cores, rounded up, by default), limits.memory (bytes), requests.*;
    /// a limit not set reads as the node's allocatable, as in the real kubelet.
    private static func resourceField(_ resource: String, divisor: JSON, container: JSON, context: Context) -> String? {
        let parts = resource.split(separator: ".").map(String.init)
        guard parts.count == 2 else { return nil }
        let fallback = parts[1] == "cpu" ? context.nodeCPU : Double(context.nodeMemory)
        let value = Quantity.parse(container["resources"][parts[0]][parts[1]])
            ?? (parts[0] == "requests" ? Quantity.parse(container["resources"]["limits"][parts[1]]) : nil)
            ?? (parts[0] == "requests" && parts[1] == "cpu" ? 0 : fallback)
        let scale = Quantity.parse(divisor) ?? 1
        return String(Int64((value / scale).rounded(.up)))
    }

    /// `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT`, and the Docker-link `NAME_PORT_*` variables.
    private static func serviceLinks(_ services: [JSON]) -> [String: String] {
        var links: [String: String] = [:]
        for service in services {
            guard let ip = service["spec"]["clusterIP"].string, ip != "None", let first = service["spec"]["ports"].array?.first else { continue }
            let name = (service["metadata"]["name"].string ?? "").uppercased().replacingOccurrences(of: "-", with: "_")
            links["\(name)_SERVICE_HOST"] = ip
            links["\(name)_SERVICE_PORT"] = String(first["port"].int ?? 0)
            links["\(name)_PORT"] = "\((first["protocol"].string ?? "TCP").lowercased())://\(ip):\(first["port"].int ?? 0)"
            for port in service["spec"]["ports"].array ?? [] {
                let number = port["port"].int ?? 0
                let proto = port["protocol"].string ?? "TCP"
                if let portName = port["name"].string, !portName.isEmpty {
                    links["\(name)_SERVICE_PORT_\(portName.uppercased().replacingOccurrences(of: "-", with: "_"))"] = String(number)
                }
                let prefix = "\(name)_PORT_\(number)_\(proto)"
                links[prefix] = "\(proto.lowercased())://\(ip):\(number)"
                links["\(prefix)_PROTO"] = proto.lowercased()
                links["\(prefix)_PORT"] = String(number)
                links["\(prefix)_ADDR"] = ip
            }
        }
        return links
    }

    /// The `kubernetes` service's variables, leading to this API server at the node address.
    private static func apiServerLinks(host: String, port: Int) -> [String: String] {
        ["KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": String(port), "KUBERNETES_SERVICE_PORT_HTTPS": String(port),
         "KUBERNETES_PORT": "tcp://\(host):\(port)", "KUBERNETES_PORT_\(port)_TCP": "tcp://\(host):\(port)",
         "KUBERNETES_PORT_\(port)_TCP_PROTO": "tcp", "KUBERNETES_PORT_\(port)_TCP_PORT": String(port),
         "KUBERNETES_PORT_\(port)_TCP_ADDR": host]
    }

    private static func decode(_ value: JSON) -> String {
        value.string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
