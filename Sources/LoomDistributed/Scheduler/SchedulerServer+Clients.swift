import Foundation

// Clients come and go: one that closes is forgotten at once; one whose connection drops keeps
// its work for `clientTimeout`, so a network blip or a scheduler-side hiccup costs nothing if
// it reconnects (under the same name) in time, and is released after. A worker's own client
// (its tasks', `TaskContext.client()`) goes at once with its worker: it cannot come back.

extension SchedulerServer {
    func clientJoined(_ connection: Int, _ hello: Hello, outbox: Outbox) {
        let name = hello.name
        let worker = hello.address.isEmpty ? nil : hello.address
        if let id = clientIDs[name], let old = clients[id]?.connection, old != connection {
            // Back before its old connection's end reached us: the new connection takes over
            // (without a client timeout the work went with the old connection).
            try? connections[old]?.supersede()
            clients[id]?.connection = nil
            for case let plugin as any InlineSchedulerPlugin in plugins { apply(plugin.clientDisconnected(id)) }
            if options.clientTimeout <= .zero {
                forgetClient(id)
            } else {
                clients[id]?.departed = .now
            }
        }
        if let id = clientIDs[name], clients[id]?.departed != nil {
            clients[id] = ClientRecord(name: name, worker: worker, connection: connection)
            connections[connection] = SchedulerConnection(outbox: outbox, phase: .client(id, closing: false))
            logger.info("client reconnected", metadata: ["client.name": "\(name)"])
            apply(core.handle(.clientResumed(id)))
            return
        }
        let id = ClientID(connection)
        clientIDs[name] = id
        clients[id] = ClientRecord(name: name, worker: worker, connection: connection)
        connections[connection] = SchedulerConnection(outbox: outbox, phase: .client(id, closing: false))
        apply(core.handle(.clientJoined(id)))
    }

    func clientLeft(_ connection: Int) {
        guard let state = connections[connection], let id = state.client else { return }
        try? connections[connection]?.supersede()  // left: nothing it says from now on counts
        clients[id]?.connection = nil
        for case let plugin as any InlineSchedulerPlugin in plugins { apply(plugin.clientDisconnected(id)) }
        let workerGone = clients[id]?.worker.map { address in !connections.values.contains { $0.worker?.hello.address == address } } ?? false
        if state.isClosingClient || options.clientTimeout <= .zero || workerGone {
            forgetClient(id)
        } else {
            clients[id]?.departed = .now
        }
    }

    /// The worker at `address` left: its tasks' client, if its connection dropped too, is gone.
    func workerLeft(at address: String) {
        for (id, client) in clients where client.worker == address && client.departed != nil { forgetClient(id) }
    }

    func releaseDepartedClients(now: ContinuousClock.Instant) {
        for (id, client) in clients {
            guard let departed = client.departed, now - departed >= options.clientTimeout else { continue }
            logger.info("a disconnected client did not come back; releasing its work", metadata: ["client.name": "\(client.name)"])
            forgetClient(id)
        }
    }

    private func forgetClient(_ id: ClientID) {
        if let name = clients.removeValue(forKey: id)?.name, clientIDs[name] == id { clientIDs[name] = nil }
        apply(core.handle(.clientLeft(id)))
        for case let plugin as any InlineSchedulerPlugin in plugins { plugin.clientGone(id) }
    }
}
