/// The controller-manager's garbage collector, with background propagation: once an object is
/// gone, every object whose `metadata.ownerReferences` names its uid is deleted too (pods
/// gracefully); an object created with owners of kinds served here that none exists for is
/// deleted as well, as the real collector does with dangling references.
struct GarbageCollector: Sendable {
    let registry: Registry

    private static let servedKinds: Set<String> = ["Pod", "Service", "Secret"]

    func run(events: AsyncStream<WatchItem>) async {
        let store = registry.store
        for await item in events {
            guard case .event(let event) = item else { continue }
            switch event.kind {
            case .deleted:
                guard let uid = event.object["metadata"]["uid"].string else { continue }
                for (key, _) in store.dependents(of: uid) { _ = try? registry.delete(key) }
            case .added:
                let owners = event.object["metadata"]["ownerReferences"].array ?? []
                guard !owners.isEmpty,
                      owners.allSatisfy({ $0["apiVersion"].string == "v1" && Self.servedKinds.contains($0["kind"].string ?? "") }),
                      !owners.contains(where: { store.exists(uid: $0["uid"].string ?? "") })
                else { continue }
                let key = ObjectKey(resource: event.resource, namespace: event.object["metadata"]["namespace"].string ?? "",
                                    name: event.object["metadata"]["name"].string ?? "")
                _ = try? registry.delete(key)
            case .modified:
                continue
            }
        }
    }
}
