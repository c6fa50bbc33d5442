import Foundation

// Clients come and go: one that closes is forgotten at once; one whose connection drops keeps
// its work for `clientTimeout`, so a network blip or a scheduler-side hiccup costs nothing if
// it reconnects (under the same name) in time, and is released after.

extension SchedulerServer {
    func clientJoined(_ connection: Int, name: String) {
        if let id = clientIDs[name], let old = clientConnections[id], old != connection {
            // Back before its old connection's end reached us: the new connection takes over
            // (without a client timeout the work went with the old connection).
            connectionClients[old] = nil
            if options.clientTimeout <= .zero {
                clientConnections[id] = nil
                forgetClient(id)
            } else {
                departedClients[id] = .now
            }
        }
        if let id = clientIDs[name], departedClients.removeValue(forKey: id) != nil {
            clientConnections[id] = connection
            connectionClients[connection] = id
            logger.info("client reconnected", metadata: ["client.name": "\(name)"])
            apply(core.handle(.clientResumed(id)))
            return
        }
        let id = ClientID(connection)
        clientIDs[name] = id
        clientConnections[id] = connection
        connectionClients[connection] = id
        apply(core.handle(.clientJoined(id)))
    }

    func clientLeft(_ connection: Int) {
        guard let id = connectionClients.removeValue(forKey: connection) else { return }
        clientConnections[id] = nil
        if closingClients.remove(connection) != nil || options.clientTimeout <= .zero {
            forgetClient(id)
        } else {
            departedClients[id] = .now
        }
    }

    func releaseDepartedClients(now: ContinuousClock.Instant) {
        for (id, departed) in departedClients where now - departed >= options.clientTimeout {
            logger.info("a disconnected client did not come back; releasing its work",
                        metadata: ["client.name": "\(clientIDs.first { $0.value == id }?.key ?? "?")"])
            departedClients[id] = nil
            forgetClient(id)
        }
    }

    private func forgetClient(_ id: ClientID) {
        clientIDs = clientIDs.filter { $0.value != id }
        apply(core.handle(.clientLeft(id)))
    }
}
