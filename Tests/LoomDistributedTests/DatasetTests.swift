import Foundation
import Loom
import LoomTestSupport
import Testing

/// Published datasets: futures kept on the scheduler under a name, across the client that made
/// them closing and the workers that held them dying.
@Suite(.serialized) struct DatasetTests {
    @Test func aDatasetOutlivesItsClientAndComesBackToAnother() async throws {
        try await withCluster { cluster, client in
            let publisher = try await Client(cluster, setAsDefault: false)
            let incremented = try await publisher.map(TestTasks.inc, Array(0..<10))
            try await publisher.publish(dataset: incremented, name: "squares")
            try await publisher.publish(dataset: incremented[3], name: "four")
            await publisher.close()

            #expect(try await client.datasetNames() == ["four", "squares"])
            do {  // the futures this client takes up go at the end of the block
                let again: [Future<Int>] = try await client.dataset(named: "squares")
                #expect(try await client.gather(again) == Array(1...10), "computed by a client that is gone")
                let four = try await client.dataset(named: "four", as: Int.self)
                #expect(try await four[0].result() == 4)

                // Misuse says what is wrong.
                let taken = await #expect(throws: LoomError.self) { try await client.publish(dataset: again, name: "squares") }
                #expect(taken?.code == .invalidArgument && taken?.message.contains("published already") == true, "\(String(describing: taken))")
                let wrongType = await #expect(throws: LoomError.self) { _ = try await client.dataset(named: "squares", as: String.self) }
                #expect(wrongType?.code == .typeMismatch && wrongType?.message.contains("Swift.Int") == true, "\(String(describing: wrongType))")
                let none = await #expect(throws: LoomError.self) { _ = try await client.dataset(named: "cubes", as: Int.self) }
                #expect(none?.message.contains("no dataset named 'cubes'") == true && none?.message.contains("squares") == true)
            }

            // Unpublished, and wanted by nobody, the results go.
            try await client.unpublish(dataset: "squares")
            try await client.unpublish(dataset: "four")
            #expect(try await client.datasetNames().isEmpty)
            try await eventually("the workers to drop the unpublished results") {
                try await client.schedulerInfo().allSatisfy { $0.inMemory == 0 }
            }
        }
    }

    @Test func aDatasetsResultsLostWithAWorkerAreComputedAgain() async throws {
        try await withCluster { cluster, client in
            var futures = try await client.map(TestTasks.inc, Array(0..<20))
            _ = try await client.gather(futures)
            try await client.publish(dataset: futures, name: "kept")
            futures = []
            let nanny = cluster.nannies[0]
            #expect(try await client.schedulerInfo().contains { $0.name == nanny.name && $0.inMemory > 0 }, "the victim holds some of them")
            let victim = try #require(nanny.processIdentifier)
            kill(victim, SIGKILL)
            let again: [Future<Int>] = try await client.dataset(named: "kept")
            #expect(try await client.gather(again) == Array(1...20))
        }
    }
}
