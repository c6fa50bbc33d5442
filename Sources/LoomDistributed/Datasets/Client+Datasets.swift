import LoomCore

/// Published datasets, Dask's `publish_dataset`/`get_dataset`: futures kept on the cluster
/// under a name for any client to take up, until they are unpublished.
///
/// ```swift
/// let features = try await client.map(Jobs.featurize, files)
/// try await client.publish(dataset: features, name: "features")
/// // later, in another program:
/// let again: [Future<[Double]>] = try await other.dataset(named: "features")
/// ```
extension Client {
    /// Keeps `futures` on the cluster under `name`, computed or still computing, after every
    /// future and this client are gone. A name in use is an error unless `replace` is true.
    public func publish<Value>(dataset futures: [Future<Value>], name: String, replace: Bool = false) async throws {
        let dataset = Dataset(keys: futures.map(\.key), valueType: String(reflecting: Value.self))
        // The futures live until the scheduler keeps their keys, so their release cannot overtake it.
        defer { withExtendedLifetime(futures) {} }
        _ = try await datasetCall(.publish(name: name, dataset: dataset, replace: replace))
    }

    /// Keeps one future under `name` (see `publish(dataset:name:replace:)`).
    public func publish<Value>(dataset future: Future<Value>, name: String, replace: Bool = false) async throws {
        try await publish(dataset: [future], name: name, replace: replace)
    }

    /// The futures published under `name`, in the order they were published; this client
    /// wants them from now on, as its own. Their type must be the one they were published as.
    public func dataset<Value>(named name: String, as type: Value.Type = Value.self) async throws -> [Future<Value>] {
        guard case .dataset(let dataset) = try await datasetCall(.get(name: name)) else {
            throw LoomError(.plugin, "the scheduler's datasets plugin sent an unexpected answer for '\(name)'")
        }
        let asked = String(reflecting: Value.self)
        guard dataset.valueType == asked else {
            throw LoomError(.typeMismatch, "dataset '\(name)' holds futures of \(dataset.valueType), not \(asked)")
        }
        try await connection.submit([], wanted: dataset.keys, functions: [:])
        return dataset.keys.map { Future(key: $0, client: self) }
    }

    /// Stops keeping the dataset; its results go once no client wants them.
    public func unpublish(dataset name: String) async throws {
        _ = try await datasetCall(.unpublish(name: name))
    }

    /// The names of the published datasets, sorted.
    public func datasetNames() async throws -> [String] {
        guard case .names(let names) = try await datasetCall(.list) else {
            throw LoomError(.plugin, "the scheduler's datasets plugin sent an unexpected answer to a list")
        }
        return names
    }

    private func datasetCall(_ request: DatasetRequest) async throws -> DatasetReply {
        let answer: [UInt8]
        do {
            answer = try await pluginRequest(DatasetsPlugin.pluginName, payload: try ValueCodec.encode(request))
        } catch let error as LoomError where error.code == .plugin {
            // The plugin's own refusal (a name in use, none published) reads better without the wrapping.
            throw LoomError(.invalidArgument, error.message.replacingOccurrences(of: "scheduler plugin 'datasets': ", with: ""))
        }
        return try ValueCodec.decode(DatasetReply.self, from: answer)
    }
}
