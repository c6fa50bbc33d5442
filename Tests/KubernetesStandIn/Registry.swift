import Foundation

/// The API server's create and delete semantics on top of the store, shared by the HTTP routes
/// and the garbage collector: defaults and validation, cluster IPs for services, and graceful
/// deletion of pods (a deletionTimestamp first; the kubelet removes the pod once its processes
/// are gone).
struct Registry: Sendable {
    let store: ObjectStore
    let addresses: AddressPool

    struct DeleteOptions: Sendable {
        var gracePeriodSeconds: Int64?
        var propagationPolicy: String?
        var preconditionUID: String?

        init(gracePeriodSeconds: Int64? = nil, propagationPolicy: String? = nil, preconditionUID: String? = nil) {
            self.gracePeriodSeconds = gracePeriodSeconds
            self.propagationPolicy = propagationPolicy
            self.preconditionUID = preconditionUID
        }

        /// From a DeleteOptions body and the query (the query wins, as in the real server).
        init(body: JSON?, query: [String: String]) {
            gracePeriodSeconds = query["gracePeriodSeconds"].flatMap { Int64($0) } ?? body?["gracePeriodSeconds"].int
            propagationPolicy = query["propagationPolicy"] ?? body?["propagationPolicy"].string
            preconditionUID = body?["preconditions"]["uid"].string
        }
    }

    func create(_ resource: String, namespace: String, body: JSON, dryRun: Bool = false) throws(APIError) -> JSON {
        guard case .object = body, let kind = Discovery.resource(resource) else {
            throw .badRequest("Object 'Kind' is missing in '\(body.text.prefix(200))'")
        }
        if let sent = body["kind"].string, sent != kind.kind {
            throw .badRequest("the kind of the provided object (\(sent)) does not match the resource (\(resource))")
        }
        if let sent = body["metadata"]["namespace"].string, !sent.isEmpty, sent != namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if body["metadata"]["resourceVersion"].string?.isEmpty == false {
            throw .badRequest("resourceVersion should not be set on objects to be created")
        }
        var object = body
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] { object["metadata"][field] = nil }
        if resource == "pods" { object["status"] = nil }
        Defaults.apply(resource, to: &object)
        try Validation.check(resource, object)
        var clusterIP: String?
        if resource == "services", object["spec"]["clusterIP"].string != "None" {
            guard let address = addresses.allocateClusterIP() else {
                throw APIError(code: 500, reason: "InternalError", message: "Internal error occurred: failed to allocate a serviceIP: range is full")
            }
            clusterIP = address
            object["spec"]["clusterIP"] = .string(address)
            object["spec"]["clusterIPs"] = [.string(address)]
        }
        if dryRun {
            if let clusterIP { addresses.release(clusterIP) }
            return object
        }
        do {
            return try store.create(resource, namespace: namespace, object)
        } catch {
            if let clusterIP { addresses.release(clusterIP) }
            throw error
        }
    }

    /// What a DELETE answers: the pod (terminating, or gone), the service, or a Status for
    /// secrets, as the real server does for each.
    func delete(_ key: ObjectKey, options: DeleteOptions = .init()) throws(APIError) -> JSON {
        guard let object = store.get(key) else { throw .notFound(key.resource, key.name) }
        if let uid = options.preconditionUID, uid != object["metadata"]["uid"].string {
            throw APIError(code: 409, reason: "Conflict",
                           message: "Operation cannot be fulfilled on \(key.resource) \"\(key.name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(object["metadata"]["uid"].string ?? "")",
                           details: ["name": .string(key.name), "kind": .string(key.resource)])
        }
        let uid = object["metadata"]["uid"].string ?? ""
        if options.propagationPolicy == "Orphan" { orphanDependents(of: uid) }
        guard key.resource == "pods" else {
            guard let removed = store.remove(key, uid: uid) else { throw .notFound(key.resource, key.name) }
            if key.resource == "services" { return removed }
            return ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                    "details": ["name": .string(key.name), "kind": .string(key.resource), "uid": .string(uid)]]
        }
        return try deletePod(key, object, options: options)
    }

    private func deletePod(_ key: ObjectKey, _ pod: JSON, options: DeleteOptions) throws(APIError) -> JSON {
        let uid = pod["metadata"]["uid"].string ?? ""
        let grace = max(0, options.gracePeriodSeconds ?? pod["spec"]["terminationGracePeriodSeconds"].int ?? 30)
        let phase = pod["status"]["phase"].string ?? "Pending"
        let unscheduled = pod["spec"]["nodeName"].string?.isEmpty ?? true
        // Nothing runs for an unscheduled or finished pod: it goes at once, as grace 0 forces.
        if unscheduled || phase == "Succeeded" || phase == "Failed" || grace == 0 {
            guard var removed = store.remove(key, uid: uid) else { throw .notFound(key.resource, key.name) }
            if removed["metadata"]["deletionTimestamp"].isNull { removed["metadata"]["deletionTimestamp"] = .string(Timestamp.now()) }
            removed["metadata"]["deletionGracePeriodSeconds"] = 0
            return removed
        }
        let deadline = Date().addingTimeInterval(TimeInterval(grace))
        let updated = store.update(key, uid: uid) { pod in
            // A second delete may shorten the grace period, never lengthen it.
            if let current = Timestamp.parse(pod["metadata"]["deletionTimestamp"].string), current <= deadline { return }
            pod["metadata"]["deletionTimestamp"] = .string(Timestamp.string(deadline))
            pod["metadata"]["deletionGracePeriodSeconds"] = .int(grace)
        }
        guard let updated else { throw .notFound(key.resource, key.name) }
        return updated
    }

    /// Deletes what a selector picks in a namespace; answers the list of what was deleted.
    func deleteCollection(_ resource: String, namespace: String, labels: LabelSelector, fields: FieldSelector,
                          options: DeleteOptions) -> JSON {
        let (items, resourceVersion) = store.list(resource, namespace: namespace)
        var deleted: [JSON] = []
        for item in items where labels.matches(item["metadata"]["labels"].stringMap) && fields.matches(item) {
            let key = ObjectKey(resource: resource, namespace: namespace, name: item["metadata"]["name"].string ?? "")
            if let result = try? delete(key, options: options) { deleted.append(result["kind"].string == "Status" ? item : result) }
        }
        return ["kind": .string(Discovery.resource(resource)?.listKind ?? "List"), "apiVersion": "v1",
                "metadata": ["resourceVersion": .string(String(resourceVersion))], "items": .array(deleted)]
    }

    /// `propagationPolicy: Orphan`: the dependents lose their reference and stay.
    private func orphanDependents(of uid: String) {
        for (key, _) in store.dependents(of: uid) {
            store.update(key) { object in
                let references = (object["metadata"]["ownerReferences"].array ?? []).filter { $0["uid"].string != uid }
                object["metadata"]["ownerReferences"] = references.isEmpty ? nil : .array(references)
            }
        }
    }
}
