import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML answer as a tree of elements (the Query protocol's answers: EC2's and IAM's), parsed
/// with Foundation's `XMLParser`.
public struct XMLTree: Sendable {
    public var name: String
    /// Its text; for an element with children, trimmed of the whitespace between them.
    public var text: String
    public var children: [XMLTree]

    /// The root element of `data`; throws, with the parser's reason, when it is not XML.
    static func parse(_ data: [UInt8]) throws -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: Data(data))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0)" } ?? "no root element"
            throw XMLTreeError(message: "not an XML answer (\(reason)): \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        return root
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// The text of the path of children `names` (`tree["Errors", "Error", "Code"]`).
    public subscript(_ names: String...) -> String? {
        var node = self
        for name in names {
            guard let next = node.child(name) else { return nil }
            node = next
        }
        return node.text
    }

    /// Every element called `name` below this one, in document order.
    public func descendants(_ name: String) -> [XMLTree] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            stack.append(XMLTree(name: name, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard var element = stack.popLast() else { return }
            if !element.children.isEmpty { element.text = element.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}

struct XMLTreeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
