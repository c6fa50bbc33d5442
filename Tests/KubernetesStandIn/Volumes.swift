import Foundation

/// A container's volumes as bind mounts: `secret` volumes are written as files (one per key,
/// `defaultMode` 0644) into a per-pod directory, `emptyDir` is an empty per-pod directory, and
/// `hostPath` is the path itself. Other kinds are refused, and the container waits.
enum Volumes {
    struct MountError: Error, CustomStringConvertible {
        let description: String
    }

    static func directory(_ context: KubeletContext, uid: String) -> String { "\(context.directory)/volumes/\(uid)" }

    static func prepare(pod: JSON, container: JSON, context: KubeletContext, uid: String) throws -> [ContainerProcess.Mount] {
        let volumes = pod["spec"]["volumes"].array ?? []
        var mounts: [ContainerProcess.Mount] = []
        for mount in container["volumeMounts"].array ?? [] {
            guard let name = mount["name"].string, let target = mount["mountPath"].string else { continue }
            guard let volume = volumes.first(where: { $0["name"].string == name }) else {
                throw MountError(description: "volume \"\(name)\" is not among the pod's volumes")
            }
            let source: String
            var readOnly = mount["readOnly"].bool ?? false
            if !volume["secret"].isNull {
                source = try writeSecret(volume["secret"], volume: name, pod: pod, context: context, uid: uid)
                readOnly = true
            } else if !volume["emptyDir"].isNull {
                source = "\(directory(context, uid: uid))/\(name)"
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            } else if let path = volume["hostPath"]["path"].string {
                source = path
            } else {
                throw MountError(description: "volume \"\(name)\": only secret, emptyDir and hostPath volumes are supported by the stand-in")
            }
            context.mountPoints.ensure(target)
            mounts.append(.init(source: source, target: target, readOnly: readOnly))
        }
        return mounts
    }

    private static func writeSecret(_ volume: JSON, volume name: String, pod: JSON, context: KubeletContext, uid: String) throws -> String {
        let secretName = volume["secretName"].string ?? ""
        let namespace = pod["metadata"]["namespace"].string ?? ""
        let directory = "\(directory(context, uid: uid))/\(name)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let secret = context.store.get(ObjectKey(resource: "secrets", namespace: namespace, name: secretName)) else {
            if volume["optional"].bool == true { return directory }
            throw MountError(description: "MountVolume.SetUp failed for volume \"\(name)\" : secret \"\(secretName)\" not found")
        }
        let data = secret["data"].object ?? [:]
        let items = volume["items"].array.map { $0.compactMap { item in item["key"].string.map { ($0, item["path"].string ?? $0) } } }
            ?? data.keys.sorted().map { ($0, $0) }
        let mode = volume["defaultMode"].int ?? 0o644
        for (key, path) in items {
            guard let encoded = data[key]?.string, let bytes = Data(base64Encoded: encoded) else {
                throw MountError(description: "MountVolume.SetUp failed for volume \"\(name)\" : references non-existent secret key: \(key)")
            }
            let file = "\(directory)/\(path)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: file))
            chmod(file, mode_t(mode))
        }
        return directory
    }
}
