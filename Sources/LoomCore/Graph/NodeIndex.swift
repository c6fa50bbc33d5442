/// Task numbers of nodes, looked up by the node's identity while a graph is collected.
///
/// Collecting does a lookup per node and per edge; an open-addressing table over the object's
/// address (multiplicative hashing, linear probing) costs a few nanoseconds where a Dictionary
/// keyed by ObjectIdentifier pays for SipHash. Addresses stay valid: the roots being collected
/// keep every node alive.
struct NodeIndex {
    private var addresses: [UInt]
    private var numbers: [Int32]
    private var mask: Int
    private var shift: UInt
    private var count = 0

    init(capacity: Int = 64) {
        var size = 64
        while size < capacity * 2 { size <<= 1 }
        addresses = Array(repeating: 0, count: size)
        numbers = Array(repeating: 0, count: size)
        mask = size - 1
        shift = UInt(64 - size.trailingZeroBitCount)
    }

    private func slot(for address: UInt) -> Int {
        Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    subscript(node: TaskNode) -> Int32? {
        let address = UInt(bitPattern: ObjectIdentifier(node))
        var position = slot(for: address)
        while true {
            let stored = addresses[position]
            if stored == address { return numbers[position] }
            if stored == 0 { return nil }
            position = (position + 1) & mask
        }
    }

    mutating func insert(_ node: TaskNode, number: Int32) {
        if (count + 1) * 2 > addresses.count { grow() }
        let address = UInt(bitPattern: ObjectIdentifier(node))
        var position = slot(for: address)
        while addresses[position] != 0 && addresses[position] != address { position = (position + 1) & mask }
        if addresses[position] == 0 { count += 1 }
        addresses[position] = address
        numbers[position] = number
    }

    private mutating func grow() {
        let old = (addresses, numbers)
        self = NodeIndex(capacity: addresses.count)
        for (address, number) in zip(old.0, old.1) where address != 0 {
            var position = slot(for: address)
            while addresses[position] != 0 { position = (position + 1) & mask }
            addresses[position] = address
            numbers[position] = number
            count += 1
        }
    }
}
