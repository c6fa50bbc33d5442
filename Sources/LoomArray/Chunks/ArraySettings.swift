import LoomCore

/// `array:` in loom.yaml: the bytes a chunk aims at when an array's chunks are `.auto`
/// (`array.chunk-size`, Dask's default 128 MiB); a cluster's workers may ask for less.
public struct ArraySettings: ConfigurationSection, Equatable {
    public static let name = "array"
    public var chunkSize: UInt64 = 128 * 1_048_576

    public init() {}

    public mutating func set(_ setting: String, to value: ConfigurationValue) throws {
        guard setting == "chunk-size" else { throw Self.unknown(value, known: ["chunk-size"]) }
        guard let bytes = try? MemorySize.bytes(try value.single()), bytes > 0 else {
            throw value.invalid(expected: "a memory size above zero, e.g. 128MiB")
        }
        chunkSize = bytes
    }
}
