import LoomCore

/// The tags on everything a cloud cluster makes — `createdBy=loom` and `loom-cluster=NAME` —
/// by which `close()`, the next start under the same name and `loom cloud cleanup` find it.
public enum CloudTags {
    public static let createdBy = "createdBy"
    public static let creator = "loom"
    public static let cluster = "loom-cluster"

    public static func of(cluster name: String) -> [String: String] { [createdBy: creator, cluster: name] }

    /// Cluster names become resource names (`NAME-worker`, `/loom/NAME`): letters, digits and
    /// '-', starting with a letter, at most 32 characters (IAM role names stay under 64).
    public static func validate(name: String) throws {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        guard allowed, let first = name.first, first.isLetter, name.last != "-", name.count <= 32 else {
            throw LoomError(.configuration, "the cluster name '\(name)' cannot name cloud resources: give letters, digits and '-', starting with a letter, at most 32 characters")
        }
    }
}
