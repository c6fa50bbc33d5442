import Testing
import LoomCore

@Suite struct RegistryTests {
    @Test func sameFunctionTwiceIsHarmlessButAClashIsRefused() throws {
        let registry = TaskRegistry()
        let inc = TaskFunction("inc") { (x: Int) in x + 1 }
        try registry.register([inc, inc])
        let other = TaskFunction("inc") { (x: Double) in x + 1 }
        let error = #expect(throws: LoomError.self) { try registry.register([other]) }
        #expect(error?.code == .registry)
        #expect(error?.function == "inc")
        #expect(error?.message.contains("'inc'") == true)
        #expect(error?.message.contains("(Swift.Int) -> Swift.Int") == true)
    }

    @Test func localFunctionsCannotBeRegistered() {
        let registry = TaskRegistry()
        let error = #expect(throws: LoomError.self) {
            try registry.register([LocalFunction("local-inc") { (x: Int) in x + 1 }])
        }
        #expect(error?.message.contains("LocalFunction") == true)
    }

    @Test func fingerprintsFollowNamesAndTypes() throws {
        let first = TaskRegistry(), second = TaskRegistry(), different = TaskRegistry()
        try first.register([TaskFunction("add") { (a: Int, b: Int) in a + b }, TaskFunction("neg") { (a: Int) in -a }])
        try second.register([TaskFunction("neg") { (a: Int) in -a }, TaskFunction("add") { (a: Int, b: Int) in a + b }])
        try different.register([TaskFunction("add") { (a: Double, b: Double) in a + b }, TaskFunction("neg") { (a: Int) in -a }])
        #expect(first.fingerprint == second.fingerprint)
        #expect(first.fingerprint != different.fingerprint)
        #expect(first.signatures["add"] == "(Swift.Int, Swift.Int) -> Swift.Int")
    }

    @Test func mismatchesNameEachFunction() {
        let needed = ["add": "(Swift.Int, Swift.Int) -> Swift.Int", "sum": "(Swift.Array<Swift.Int>) -> Swift.Int"]
        let available = ["add": "(Swift.Double, Swift.Double) -> Swift.Double"]
        let message = TaskRegistry.mismatch(needed: needed, available: available, where: "worker w") ?? ""
        #expect(message.contains("'add' differs: here (Swift.Int, Swift.Int) -> Swift.Int, in worker w (Swift.Double, Swift.Double) -> Swift.Double"))
        #expect(message.contains("'sum' is not registered in worker w"))
        #expect(TaskRegistry.mismatch(needed: available, available: available, where: "w") == nil)
    }
}
