import Foundation
import Hummingbird

/// A watch response: one JSON event a line (`{"type":"ADDED","object":{…}}`) over a chunked
/// stream, for the objects a namespace and selectors pick. An object that stops matching on
/// MODIFIED is sent as DELETED and one that starts as ADDED, as the real watch cache does. A
/// resourceVersion older than the history answers a single ERROR event (410 Expired).
struct Watch: Sendable {
    let resource: String
    let namespace: String?
    let labels: LabelSelector
    let fields: FieldSelector
    let table: Bool
    let includeObject: String?
    let bookmarks: Bool
    let timeout: Duration?

    func response(store: ObjectStore, resourceVersion: String?) -> Response {
        let from = resourceVersion.flatMap { $0 == "0" || $0.isEmpty ? nil : Int($0) }
        let headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-cache, private"]
        let events: AsyncStream<WatchItem>
        do {
            events = try store.subscribe(from: from, external: true)
        } catch {
            let line = JSON.object(["type": "ERROR", "object": error.status]).text + "\n"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: line)))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { [self] writer in
            // The store's events and the timeout into one stream, read here where the writer is.
            let (merged, input) = AsyncStream<WatchItem>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await item in events { input.yield(item) }
                    input.finish()
                }
                if let timeout {
                    group.addTask {
                        try? await Task.sleep(for: timeout)
                        input.finish()
                    }
                }
                for await item in merged {
                    guard let line = line(for: item) else { continue }
                    try await writer.write(ByteBuffer(string: line))
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        })
    }

    private func line(for item: WatchItem) -> String? {
        switch item {
        case .bookmark(let resourceVersion):
            guard bookmarks, !table, let kind = Discovery.resource(resource)?.kind else { return nil }
            let object: JSON = ["kind": .string(kind), "apiVersion": "v1", "metadata": ["resourceVersion": .string(String(resourceVersion))]]
            return JSON.object(["type": "BOOKMARK", "object": object]).text + "\n"
        case .event(let event):
            guard event.resource == resource,
                  namespace == nil || event.object["metadata"]["namespace"].string == namespace else { return nil }
            let now = matches(event.object)
            let before = event.previous.map(matches) ?? false
            let type: String
            switch event.kind {
            case .added: guard now else { return nil }; type = "ADDED"
            case .deleted: guard now else { return nil }; type = "DELETED"
            case .modified:
                switch (before, now) {
                case (true, true): type = "MODIFIED"
                case (false, true): type = "ADDED"
                case (true, false): type = "DELETED"
                case (false, false): return nil
                }
            }
            let object = table
                ? Tables.table(resource, [event.object], resourceVersion: event.resourceVersion, includeObject: includeObject)
                : event.object
            return JSON.object(["type": .string(type), "object": object]).text + "\n"
        }
    }

    private func matches(_ object: JSON) -> Bool {
        labels.matches(object["metadata"]["labels"].stringMap) && fields.matches(object)
    }
}
