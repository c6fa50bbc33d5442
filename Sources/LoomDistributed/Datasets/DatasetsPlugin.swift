import LoomCore
import LoomRuntime
import Synchronization

/// Published datasets (Dask's `publish_dataset`): futures kept on the scheduler under a name,
/// so another client — a later program, a notebook, a task — can pick them up by that name.
/// The scheduler wants a dataset's keys itself until it is unpublished, so the results stay on
/// the workers after every client that computed them is gone.
final class DatasetsPlugin: SchedulerPlugin {
    static let pluginName = "datasets"
    var name: String { Self.pluginName }
    var observesTransitions: Bool { false }
    private let registry = DatasetRegistry()
    private let scheduler = Mutex<SchedulerServer?>(nil)

    func start(_ scheduler: SchedulerServer) async throws { self.scheduler.withLock { $0 = scheduler } }

    func close() async { scheduler.withLock { $0 = nil } }

    func status() async -> (any Encodable & Sendable)? { await registry.names() }

    func handle(request payload: [UInt8]) async throws -> [UInt8] {
        let request = try ValueCodec.decode(DatasetRequest.self, from: payload)
        guard let scheduler = scheduler.withLock({ $0 }) else { throw LoomError(.plugin, "the scheduler is closing") }
        return try ValueCodec.encode(try await registry.answer(request, scheduler: scheduler))
    }
}

enum DatasetRequest: Codable, Sendable {
    case publish(name: String, dataset: Dataset, replace: Bool)
    case get(name: String)
    case unpublish(name: String)
    case list
}

enum DatasetReply: Codable, Sendable {
    case done
    case dataset(Dataset)
    case names([String])
}

/// What a name stands for: the keys of its futures, in order, and the type of their values.
struct Dataset: Codable, Sendable, Equatable {
    var keys: [Key]
    var valueType: String

    init(keys: [Key], valueType: String) {
        self.keys = keys
        self.valueType = valueType
    }

    private enum CodingKeys: String, CodingKey { case keys, valueType }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        keys = try container.decode([CodableKey].self, forKey: .keys).map(\.key)
        valueType = try container.decode(String.self, forKey: .valueType)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keys.map(CodableKey.init), forKey: .keys)
        try container.encode(valueType, forKey: .valueType)
    }
}

/// The datasets of one scheduler. Publishing and unpublishing go through the scheduler's
/// state in the same turn as the registry changes, so a key is never kept twice or lost.
actor DatasetRegistry {
    private var datasets: [String: Dataset] = [:]

    func names() -> [String] { datasets.keys.sorted() }

    func answer(_ request: DatasetRequest, scheduler: SchedulerServer) async throws -> DatasetReply {
        switch request {
        case .publish(let name, let dataset, let replace):
            if datasets[name] != nil, !replace {
                throw LoomError(.invalidArgument, "a dataset named '\(name)' is published already; unpublish it first, or publish with replace: true")
            }
            let unknown = await scheduler.keepForDatasets(dataset.keys)
            guard unknown.isEmpty else {
                throw LoomError(.invalidArgument, "dataset '\(name)': the scheduler has no task for \(unknown.map(\.description).joined(separator: ", ")) (released already?)")
            }
            if let old = datasets.updateValue(dataset, forKey: name) { await scheduler.stopKeepingForDatasets(old.keys) }
            return .done
        case .get(let name):
            guard let dataset = datasets[name] else { throw LoomError(.invalidArgument, missing(name)) }
            return .dataset(dataset)
        case .unpublish(let name):
            guard let dataset = datasets.removeValue(forKey: name) else { throw LoomError(.invalidArgument, missing(name)) }
            await scheduler.stopKeepingForDatasets(dataset.keys)
            return .done
        case .list:
            return .names(names())
        }
    }

    private func missing(_ name: String) -> String {
        let known = datasets.isEmpty ? "none" : names().joined(separator: ", ")
        return "no dataset named '\(name)' is published (published: \(known))"
    }
}
