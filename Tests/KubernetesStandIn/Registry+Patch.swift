import Foundation

/// PATCH as JSON merge patch (RFC 7386), also for strategic merge patches, which agree with it
/// on maps (labels, annotations: what `kubectl label`, `annotate` and `apply` change); JSON
/// patch is refused. A pod's spec cannot change, as in the real server, and status belongs to
/// the kubelet.
extension Registry {
    func patch(_ key: ObjectKey, _ patch: JSON, contentType: String?) throws(APIError) -> JSON {
        let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard type == "application/merge-patch+json" || type == "application/strategic-merge-patch+json" else {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json")
        }
        guard let current = store.get(key) else { throw .notFound(key.resource, key.name) }
        var patched = Self.merge(current, patch)
        // What clients may not change: identity, bookkeeping, and status.
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName"] {
            patched["metadata"][field] = current["metadata"][field]
        }
        patched["status"] = current["status"]
        patched["kind"] = current["kind"]
        patched["apiVersion"] = current["apiVersion"]
        if key.resource == "pods" && patched["spec"] != current["spec"] {
            throw .invalid(kind: "Pod", name: key.name, causes: [(
                field: "spec", reason: "FieldValueForbidden",
                message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")])
        }
        if key.resource == "services" && patched["spec"]["clusterIP"] != current["spec"]["clusterIP"] {
            throw .invalid(kind: "Service", name: key.name, causes: [(field: "spec.clusterIPs[0]", reason: "FieldValueInvalid", message: "Invalid value: \(patched["spec"]["clusterIP"].text): may not change once set")])
        }
        if let labels = patched["metadata"]["labels"].object, let bad = labels.first(where: { !LabelSelector.isValidValue($0.value.string ?? "") }) {
            throw .invalid(kind: Discovery.resource(key.resource)?.kind ?? key.resource, name: key.name, causes: [(
                field: "metadata.labels", reason: "FieldValueInvalid", message: "Invalid value: \(bad.value.text): a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")])
        }
        let uid = current["metadata"]["uid"].string
        guard let updated = store.update(key, uid: uid, { $0 = patched }) else { throw .notFound(key.resource, key.name) }
        return updated
    }

    /// RFC 7386: objects merge member by member, `null` removes, anything else replaces.
    static func merge(_ target: JSON, _ patch: JSON) -> JSON {
        guard case .object(let members) = patch else { return patch }
        var result = target.object ?? [:]
        for (key, value) in members {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = merge(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}
