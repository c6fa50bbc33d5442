import Foundation
import Hummingbird

/// `GET …/pods/NAME/log`: a container's log file as text/plain, with `container`, `previous`,
/// `tailLines`, `limitBytes` and `follow` (which streams until the container ends), and the
/// real server's 400s for a container that has not started.
struct PodLogs: Sendable {
    let context: KubeletContext

    func respond(namespace: String, name: String, query: [String: String]) throws(APIError) -> Response {
        guard let pod = context.store.get(ObjectKey(resource: "pods", namespace: namespace, name: name)) else {
            throw .notFound("pods", name)
        }
        let names = (pod["spec"]["containers"].array ?? []).compactMap { $0["name"].string }
        let container: String
        if let requested = query["container"], !requested.isEmpty {
            guard names.contains(requested) else { throw .badRequest("container \(requested) is not valid for pod \(name)") }
            container = requested
        } else if names.count == 1 {
            container = names[0]
        } else {
            throw .badRequest("a container name must be specified for pod \(name), choose one of: [\(names.joined(separator: " "))]")
        }
        let status = (pod["status"]["containerStatuses"].array ?? []).first { $0["name"].string == container }
        let restarts = Int(status?["restartCount"].int ?? 0)
        let previous = ["1", "true"].contains(query["previous"] ?? "")
        if previous && (status?["lastState"]["terminated"].isNull ?? true) {
            throw .badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
        }
        let headers: HTTPFields = [.contentType: "text/plain"]
        // No node yet: the real server answers an empty log (it has no kubelet to ask).
        if pod["spec"]["nodeName"].string?.isEmpty ?? true { return Response(status: .ok, headers: headers, body: ResponseBody()) }
        let uid = pod["metadata"]["uid"].string ?? ""
        let path = context.logPath(namespace: namespace, pod: name, uid: uid, container: container, restart: previous ? restarts - 1 : restarts)
        let waiting = status?["state"]["waiting"]["reason"].string
        let started = status.map { !$0["state"]["running"].isNull || !$0["state"]["terminated"].isNull || !$0["lastState"]["terminated"].isNull } ?? false
        guard started || previous, FileManager.default.fileExists(atPath: path) else {
            // The kubelet's words for the common cases.
            guard let waiting else { throw .badRequest("container \"\(container)\" in pod \"\(name)\" is not available") }
            let why = switch waiting {
            case "ErrImagePull": "image can't be pulled"
            case "ImagePullBackOff": "trying and failing to pull image"
            default: waiting
            }
            throw .badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(why)")
        }
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if let tail = query["tailLines"].flatMap({ Int($0) }) { text = Self.lastLines(text, tail) }
        if let limit = query["limitBytes"].flatMap({ Int($0) }), limit < text.utf8.count { text = String(decoding: text.utf8.prefix(limit), as: UTF8.self) }
        guard ["1", "true"].contains(query["follow"] ?? ""), !previous else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let key = ObjectKey(resource: "pods", namespace: namespace, name: name)
        let store = context.store
        let initial = text, sent = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: initial))
            var offset = sent
            // Until the container is no longer running, or the pod is gone; then what is left.
            while !Task.isCancelled {
                let running = store.get(key).map { pod in
                    (pod["status"]["containerStatuses"].array ?? []).contains {
                        $0["name"].string == container && !$0["state"]["running"].isNull && Int($0["restartCount"].int ?? 0) == restarts
                    }
                } ?? false
                if let handle = FileHandle(forReadingAtPath: path) {
                    try? handle.seek(toOffset: UInt64(offset))
                    let data = (try? handle.readToEnd()) ?? Data()
                    try? handle.close()
                    if !data.isEmpty {
                        offset += data.count
                        try await writer.write(ByteBuffer(bytes: data))
                    }
                }
                if !running { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await writer.finish(nil)
        })
    }

    private static func lastLines(_ text: String, _ count: Int) -> String {
        guard count >= 0 else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.suffix(count)
        return kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
    }
}
