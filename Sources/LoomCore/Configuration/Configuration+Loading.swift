import Foundation
import Synchronization
import Yams

extension Configuration {
    /// Reads `/etc/loom/loom.yaml`, then `~/.config/loom/loom.yaml` (or the file `LOOM_CONFIG`
    /// names), then `LOOM_SECTION__KEY` variables. A bad entry throws an error naming its file
    /// and line (or variable), the key and the value.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let userFile = environment["LOOM_CONFIG"] ?? home + "/.config/loom/loom.yaml"
        var configuration = Configuration()
        for path in ["/etc/loom/loom.yaml", userFile] where FileManager.default.fileExists(atPath: path) {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw LoomError(.configuration, "\(path): cannot be read: \(error.localizedDescription)", underlying: error)
            }
            try configuration.apply(entries(fromYAML: text, file: path))
        }
        try configuration.apply(entries(fromEnvironment: environment))
        return configuration
    }

    /// The configuration in force for this process: loaded on first use, replaceable by code.
    public static var current: Configuration {
        get throws {
            try currentStorage.withLock { stored in
                if let stored { return stored }
                let loaded = try load()
                stored = loaded
                return loaded
            }
        }
    }

    /// Replaces the configuration in force for this process (code overrides files and variables).
    public static func setCurrent(_ configuration: Configuration) {
        currentStorage.withLock { $0 = configuration }
    }

    static func entries(fromYAML text: String, file: String) throws -> [Entry] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LoomError(.configuration, "\(file): not valid YAML: \(error)", underlying: error)
        }
        guard let root else { return [] }
        var entries: [Entry] = []
        func walk(_ node: Node, path: [String]) throws {
            let origin = "\(file):\(node.mark?.line ?? 0)"
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard let name = key.string else {
                        throw LoomError(.configuration, "\(file):\(key.mark?.line ?? 0): keys must be text")
                    }
                    try walk(value, path: path + [name])
                }
            case .scalar(let scalar):
                guard !path.isEmpty else { throw LoomError(.configuration, "\(origin): expected sections of settings") }
                // `null`, `~` or nothing: not set, as in Dask's configuration files.
                if node.null != nil { return }
                entries.append(Entry(key: path.joined(separator: "."), value: scalar.string, origin: origin))
            case .sequence(let sequence) where !path.isEmpty:
                // Lists (job-queue directives, prologues): of single values only.
                let items = try sequence.map { item in
                    guard let text = item.scalar?.string else {
                        throw LoomError(.configuration, "\(origin): '\(path.joined(separator: "."))' must be a list of single values")
                    }
                    return text
                }
                entries.append(Entry(key: path.joined(separator: "."), value: items.joined(separator: ", "), list: items, origin: origin))
            default:
                throw LoomError(.configuration, "\(origin): '\(path.joined(separator: "."))' must be a single value")
            }
        }
        try walk(root, path: [])
        return entries
    }

    static func entries(fromEnvironment environment: [String: String]) throws -> [Entry] {
        var entries: [Entry] = []
        for name in environment.keys.sorted() where name.hasPrefix("LOOM_") && name.contains("__") {
            let key = name.dropFirst("LOOM_".count).lowercased()
                .replacingOccurrences(of: "__", with: ".").replacingOccurrences(of: "_", with: "-")
            let value = environment[name]!, origin = "environment variable \(name)"
            guard value.hasPrefix("[") else {
                entries.append(Entry(key: key, value: value, origin: origin))
                continue
            }
            // A list is written as YAML: LOOM_JOBQUEUE__SLURM__JOB_EXTRA_DIRECTIVES='["--exclusive"]'.
            guard case .sequence(let sequence)? = try? Yams.compose(yaml: value),
                  case let items = sequence.compactMap({ $0.scalar?.string }), items.count == sequence.count
            else {
                throw LoomError(.configuration, "\(origin): '\(value)' is not a YAML list of single values")
            }
            entries.append(Entry(key: key, value: value, list: items, origin: origin))
        }
        return entries
    }
}

private let currentStorage = Mutex<Configuration?>(nil)
