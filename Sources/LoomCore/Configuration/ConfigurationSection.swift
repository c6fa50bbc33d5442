/// A layer's part of the configuration, typed and checked in the layer's own target: the
/// section's name (`comm`, `worker.memory`), its defaults, and how it takes one entry.
///
/// ```swift
/// struct ArraySettings: ConfigurationSection {
///     static let name = "array"
///     var chunkSize: UInt64 = 128 * 1_048_576
///     mutating func set(_ setting: String, to value: ConfigurationValue) throws { … }
/// }
/// let settings = try Configuration.current.section(ArraySettings.self)
/// ```
public protocol ConfigurationSection: Sendable {
    /// The keys' common start, without the dot: `worker.memory` for `worker.memory.spill`.
    static var name: String { get }
    /// The defaults.
    init()
    /// Takes one entry, `setting` being its key after the section's name (`spill`); throws an
    /// error naming where it was written when the setting is unknown or its value unusable
    /// (`value.invalid(expected:)`).
    mutating func set(_ setting: String, to value: ConfigurationValue) throws
}

extension ConfigurationSection {
    /// The error for a setting the section does not have, listing those it has.
    public static func unknown(_ value: ConfigurationValue, known: [String]) -> LoomError {
        LoomError(.configuration, "\(value.origin): unknown setting '\(value.key)' (known: \(known.map { "\(name).\($0)" }.joined(separator: ", ")))")
    }
}

extension Configuration {
    /// A layer's section: its defaults, overridden by what the files and variables say, each
    /// entry checked by the section (the first bad one throws).
    public func section<Section: ConfigurationSection>(_: Section.Type) throws -> Section {
        var section = Section()
        let prefix = Section.name + "."
        for key in entries.keys.sorted() where key.hasPrefix(prefix) {
            try section.set(String(key.dropFirst(prefix.count)), to: entries[key]!)
        }
        return section
    }

    /// Checks that every entry belongs to one of these sections or to the core's own, so a
    /// misspelled section (`comms.tls.ca-file`) is an error instead of silently ignored; and
    /// checks each section's entries.
    public func validate(sections: [any ConfigurationSection.Type]) throws {
        var names: [String] = []
        for section in sections { names.append(try check(section)) }
        let prefixes = names.map { $0 + "." }
        for key in entries.keys.sorted() where !prefixes.contains(where: { key.hasPrefix($0) }) {
            let value = entries[key]!
            let known = (Self.ownSections.sorted() + names).joined(separator: ", ")
            throw LoomError(.configuration, "\(value.origin): '\(key)' is in no section Loom knows (known: \(known))")
        }
    }

    /// Reads one section (so its entries are checked) and gives its name.
    private func check<Section: ConfigurationSection>(_ type: Section.Type) throws -> String {
        _ = try section(type)
        return Section.name
    }
}
