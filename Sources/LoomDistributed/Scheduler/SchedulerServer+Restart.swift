import Foundation

// `Client.restart` (Dask's `restart`): all work is cancelled, every worker exits and its nanny
// starts a fresh process, and the client hears once as many supervised workers are back.

extension SchedulerServer {
    func restart(request: UInt64, for client: Int, timeout: Duration) async {
        logger.warning("restarting: cancelling all work and restarting every worker")
        apply(core.handle(.cancelAllWork))
        let workers = connections.compactMap { id, connection in connection.worker.map { (id, $0.hello) } }
        let expected = workers.count { $0.1.supervised }
        let unsupervised = workers.filter { !$0.1.supervised }.map(\.1.name).sorted()
        let firstNewConnection = nextConnection
        for (connection, _) in workers {
            connections[connection]?.outbox.post(.restartWorker)
            left(connection, retired: true)
        }
        let deadline = ContinuousClock.now + timeout
        func returned() -> Int { core.workerIDs.count { $0.rawValue >= firstNewConnection } }
        while returned() < expected, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        var problems: [String] = []
        if returned() < expected { problems.append("only \(returned()) of \(expected) workers came back within \(timeout)") }
        if !unsupervised.isEmpty { problems.append("workers without a nanny were stopped for good: \(unsupervised.joined(separator: ", "))") }
        connections[client]?.outbox.post(.restarted(request: request, error: problems.isEmpty ? nil : problems.joined(separator: "; ")))
    }
}
