/// Moves a value that is not `Sendable` (such as a stream iterator) into the one task that uses
/// it from then on. The sender must not touch the value after handing it off.
final class Handoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
