import Foundation

// `Client.restart` (Dask's `restart`): all work is cancelled, every worker exits and its nanny
// starts a fresh process, and the client hears once as many supervised workers are back.

extension SchedulerServer {
    func restart(request: UInt64, for client: Int, timeout: Duration) async {
        logger.warning("restarting: cancelling all work and restarting every worker")
        apply(core.handle(.cancelAllWork))
        let expected = supervisedWorkers.count
        let unsupervised = workerNames.filter { !supervisedWorkers.contains($0.key) }.map(\.value).sorted()
        let firstNewConnection = nextConnection
        for (connection, name) in workerNames {
            outboxes[connection]?.post(.restartWorker)
            left(connection, Hello(role: .worker, name: name), retired: true)
        }
        let deadline = ContinuousClock.now + timeout
        func returned() -> Int { workerNames.keys.count { $0 >= firstNewConnection } }
        while returned() < expected, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        var problems: [String] = []
        if returned() < expected { problems.append("only \(returned()) of \(expected) workers came back within \(timeout)") }
        if !unsupervised.isEmpty { problems.append("workers without a nanny were stopped for good: \(unsupervised.joined(separator: ", "))") }
        outboxes[client]?.post(.restarted(request: request, error: problems.isEmpty ? nil : problems.joined(separator: "; ")))
    }
}
