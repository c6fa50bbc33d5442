import Foundation

/// A `labelSelector` query parameter: the equality-based (`k=v`, `k==v`, `k!=v`) and set-based
/// (`k in (a,b)`, `k notin (a)`, `k`, `!k`) requirements of the real API, all of which must hold.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    let requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses the query text; a bad selector is a 400, as in the real server.
    init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for part in Self.split(text) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            requirements.append(try Self.requirement(item))
        }
        self.requirements = requirements
    }

    /// A service's `spec.selector`: every key equal.
    init(matching labels: [String: String]) {
        requirements = labels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Splits at commas outside parentheses: `a in (x,y),b=c` is two requirements.
    private static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func requirement(_ item: String) throws(APIError) -> Requirement {
        if item.hasPrefix("!") {
            return .doesNotExist(try key(String(item.dropFirst()).trimmingCharacters(in: .whitespaces), in: item))
        }
        for (operator_, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = item.range(of: operator_) {
                let name = try key(item[..<range.lowerBound].trimmingCharacters(in: .whitespaces), in: item)
                let value = item[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isValidValue(value) else { throw invalid(item, "invalid label value: \"\(value)\"") }
                return make(name, value)
            }
        }
        let words = item.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let rest = words[1].trimmingCharacters(in: .whitespaces)
            for (word, isIn) in [("notin", false), ("in", true)] where rest.hasPrefix(word) {
                let list = rest.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("(") else { throw invalid(item, "found '\(list)', expected: '('") }
                guard list.hasSuffix(")") else { throw invalid(item, "found '', expected: ',' or ')'") }
                let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                let name = try key(words[0], in: item)
                return isIn ? .isIn(name, values) : .notIn(name, values)
            }
            throw invalid(item, "found '\(rest)', expected: in, notin, =, ==, !=, gt, lt")
        }
        return .exists(try key(item, in: item))
    }

    private static func key(_ key: String, in item: String) throws(APIError) -> String {
        let name = key.split(separator: "/").last.map(String.init) ?? ""
        guard !name.isEmpty, name.count <= 63, isValidValue(name), key.split(separator: "/").count <= 2 else {
            throw invalid(item, "invalid label key \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
        }
        return key
    }

    /// Label values: empty, or alphanumeric at both ends with `-_.` inside, at most 63.
    static func isValidValue(_ value: String) -> Bool {
        guard value.count <= 63 else { return false }
        guard let first = value.first, let last = value.last else { return true }
        return first.isASCIIAlphanumeric && last.isASCIIAlphanumeric
            && value.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" || $0 == "." }
    }

    private static func invalid(_ item: String, _ why: String) -> APIError {
        .badRequest("unable to parse requirement: \(why)")
    }
}

/// A `fieldSelector`: `field=value`, `field==value`, `field!=value`, comma-separated, over the
/// fields the real server indexes for each resource.
struct FieldSelector: Sendable {
    let requirements: [(field: String, value: String, equal: Bool)]

    static let everything = FieldSelector(requirements: [])

    init(requirements: [(field: String, value: String, equal: Bool)]) { self.requirements = requirements }

    init(parsing text: String, resource: String) throws(APIError) {
        var requirements: [(field: String, value: String, equal: Bool)] = []
        for part in text.split(separator: ",") {
            let item = String(part)
            let found = ["!=", "==", "="].lazy.compactMap { op in item.range(of: op).map { (op, $0) } }.first
            guard let (op, range) = found else { throw .badRequest("invalid selector: '\(text)'; can't understand '\(item)'") }
            let field = item[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let known = Self.fields(resource)
            guard known.contains(field) else {
                throw .badRequest("field label not supported: \(field)")
            }
            requirements.append((field, item[range.upperBound...].trimmingCharacters(in: .whitespaces), op != "!="))
        }
        self.requirements = requirements
    }

    func matches(_ object: JSON) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = Self.value(of: requirement.field, in: object)
            return (actual == requirement.value) == requirement.equal
        }
    }

    static func fields(_ resource: String) -> [String] {
        switch resource {
        case "pods":
            ["metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
             "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"]
        case "secrets": ["metadata.name", "metadata.namespace", "type"]
        default: ["metadata.name", "metadata.namespace"]
        }
    }

    private static func value(of field: String, in object: JSON) -> String {
        var value = object
        for part in field.split(separator: ".") { value = value[String(part)] }
        return value.string ?? ""
    }
}

extension Character {
    var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
}
