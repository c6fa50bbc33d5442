import Foundation

/// The checks the real API server makes before storing an object, as far as clients of pods,
/// services and secrets meet them, with the field paths and words of its 422s.
enum Validation {
    typealias Cause = (field: String, reason: String, message: String)

    static func check(_ resource: String, _ object: JSON) throws(APIError) {
        var causes = name(object, dns1035: resource == "services")
        switch resource {
        case "pods": causes += pod(object)
        case "services": causes += service(object)
        case "secrets": causes += secret(object)
        default: break
        }
        guard causes.isEmpty else {
            let kind = Discovery.resource(resource)?.kind ?? resource
            let name = object["metadata"]["name"].string ?? object["metadata"]["generateName"].string ?? ""
            throw .invalid(kind: kind, name: name, causes: causes)
        }
    }

    private static func name(_ object: JSON, dns1035: Bool) -> [Cause] {
        let metadata = object["metadata"]
        if let name = metadata["name"].string, !name.isEmpty {
            return nameProblem(name, dns1035: dns1035).map { [invalid("metadata.name", name, $0)] } ?? []
        }
        guard let prefix = metadata["generateName"].string, !prefix.isEmpty else {
            return [(field: "metadata.name", reason: "FieldValueRequired", message: "Required value: name or generateName is required")]
        }
        // A prefix is checked as a name would be with a suffix after it.
        let sample = prefix + "abcde"
        return nameProblem(sample, dns1035: dns1035).map { [invalid("metadata.generateName", prefix, $0)] } ?? []
    }

    /// Why `name` is not a DNS-1123 subdomain (pods, secrets) or DNS-1035 label (services).
    static func nameProblem(_ name: String, dns1035: Bool) -> String? {
        if dns1035 {
            let ok = name.count <= 63 && name.first?.isLowercaseLetter == true && name.last.map(isLowerAlnum) == true
                && name.allSatisfy { isLowerAlnum($0) || $0 == "-" }
            return ok ? nil : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let ok = name.count <= 253 && labels.allSatisfy { label in
            label.count <= 63 && label.first.map(isLowerAlnum) == true && label.last.map(isLowerAlnum) == true
                && label.allSatisfy { isLowerAlnum($0) || $0 == "-" }
        }
        return ok ? nil : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    }

    private static func pod(_ pod: JSON) -> [Cause] {
        var causes: [Cause] = []
        let containers = pod["spec"]["containers"].array ?? []
        if containers.isEmpty { causes.append(required("spec.containers")) }
        var names = Set<String>()
        for (index, container) in containers.enumerated() {
            let path = "spec.containers[\(index)]"
            if let name = container["name"].string, !name.isEmpty {
                if name.count > 63 || name.contains(".") || nameProblem(name, dns1035: false) != nil {
                    causes.append(invalid("\(path).name", name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"))
                } else if !names.insert(name).inserted {
                    causes.append((field: "\(path).name", reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\""))
                }
            } else {
                causes.append(required("\(path).name"))
            }
            if container["image"].string?.isEmpty ?? true { causes.append(required("\(path).image")) }
            for part in ["requests", "limits"] {
                for (resource, value) in container["resources"][part].object ?? [:] where Quantity.parse(value) == nil {
                    causes.append(invalid("\(path).resources.\(part)[\(resource)]", value.string ?? value.text,
                                          "must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"))
                }
            }
            for resource in ["cpu", "memory"] {
                if let request = Quantity.parse(container["resources"]["requests"][resource]),
                   let limit = Quantity.parse(container["resources"]["limits"][resource]), request > limit {
                    let text = container["resources"]["requests"][resource]
                    causes.append(invalid("\(path).resources.requests", text.string ?? text.text,
                                          "must be less than or equal to \(resource) limit of \(container["resources"]["limits"][resource].string ?? "")"))
                }
            }
        }
        if let policy = pod["spec"]["restartPolicy"].string, !["Always", "OnFailure", "Never"].contains(policy) {
            causes.append((field: "spec.restartPolicy", reason: "FieldValueNotSupported",
                           message: "Unsupported value: \"\(policy)\": supported values: \"Always\", \"OnFailure\", \"Never\""))
        }
        return causes
    }

    private static func service(_ service: JSON) -> [Cause] {
        var causes: [Cause] = []
        let ports = service["spec"]["ports"].array ?? []
        let headless = service["spec"]["clusterIP"].string == "None"
        if ports.isEmpty && !headless { causes.append(required("spec.ports")) }
        for (index, port) in ports.enumerated() {
            guard let number = port["port"].int else { causes.append(required("spec.ports[\(index)].port")); continue }
            if !(1...65535).contains(number) {
                causes.append(invalid("spec.ports[\(index)].port", String(number), "must be between 1 and 65535, inclusive"))
            }
        }
        if ports.count > 1 {
            for (index, port) in ports.enumerated() where port["name"].string?.isEmpty ?? true {
                causes.append(required("spec.ports[\(index)].name"))
            }
        }
        return causes
    }

    private static func secret(_ secret: JSON) -> [Cause] {
        (secret["data"].object ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in
            value.string.flatMap { Data(base64Encoded: $0) } == nil
                ? invalid("data[\(key)]", "<secret contents redacted>", "illegal base64 data") : nil
        }
    }

    private static func required(_ field: String) -> Cause { (field: field, reason: "FieldValueRequired", message: "Required value") }

    private static func invalid(_ field: String, _ value: String, _ why: String) -> Cause {
        (field: field, reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(why)")
    }

    private static func isLowerAlnum(_ character: Character) -> Bool {
        character.isASCII && (character.isNumber || character.isLowercaseLetter)
    }
}

extension Character {
    fileprivate var isLowercaseLetter: Bool { isASCII && isLetter && isLowercase }
}
