/// Names every leaf of the unpickled object by its dotted path, in file order:
/// dict keys joined with `.`, list and tuple indices as decimal numbers.
///
/// The walk is iterative with a depth limit and a visit budget, so neither a
/// deeply nested pickle nor one that reaches a shared list a billion times
/// through the memo can overflow the stack or run without end.
struct Flattener {
    let file: String
    let limits: ReadLimits
    /// Whether placeholder objects may appear (then tensors reached twice are named once).
    var placeholderMode = false

    struct Result {
        var tensors: [StoredTensor] = []
        var values: [NamedValue] = []
    }

    func flatten(_ root: PickleValue) throws -> Result {
        var result = Result()
        var seenNames: Set<String> = []
        // Placeholder mode: a module's tensors are often reachable twice (an
        // RNN's `_flat_weights` list holds its parameters again); the first
        // path, through `_parameters`, names them.
        var seenObjects: Set<ObjectIdentifier> = []
        var pending: [(name: String, value: PickleValue, depth: Int)] = [("", root, 0)]
        var visited = 0
        var nameBytes = 0

        while let (name, value, depth) = pending.popLast() {
            visited += 1
            guard visited <= limits.maxVisitedNodes else {
                throw CheckpointError.limitExceeded(file: file, what: "values visited while naming tensors", limit: limits.maxVisitedNodes)
            }
            guard depth <= limits.maxDepth else {
                throw CheckpointError.limitExceeded(file: file, what: "container nesting", limit: limits.maxDepth)
            }
            var children: [(String, PickleValue)] = []
            switch value {
            case let .dict(dict):
                for (key, child) in zip(dict.keys, dict.values) { children.append((join(name, try keyName(key, at: name)), child)) }
            case let .list(list):
                for (i, child) in list.items.enumerated() { children.append((join(name, String(i)), child)) }
            case let .tuple(items), let .set(items):
                for (i, child) in items.enumerated() { children.append((join(name, String(i)), child)) }
            case let .object(object):
                children += try objectChildren(object, at: name)
            case let .tensor(record):
                guard seenObjects.insert(ObjectIdentifier(record)).inserted || !placeholderMode else { continue }
                guard seenNames.insert(name).inserted else { throw duplicate(name) }
                result.tensors.append(StoredTensor(
                    name: name, dtype: record.dtype, shape: record.shape, strides: record.strides,
                    storageOffset: record.storageOffset, storageKey: record.storage.rootKey,
                    location: record.storage.location, rootOffset: record.storage.rootOffset))
            case let .storage(storage):
                // A storage saved on its own reads as the 1-D tensor of its elements.
                guard seenNames.insert(name).inserted else { throw duplicate(name) }
                let dtype = storage.dtype ?? .uint8
                result.tensors.append(StoredTensor(
                    name: name, dtype: dtype, shape: [storage.count], strides: [1], storageOffset: 0,
                    storageKey: storage.rootKey, location: storage.location, rootOffset: storage.rootOffset))
            case .none: result.values.append(NamedValue(name: name, value: .none))
            case let .bool(b): result.values.append(NamedValue(name: name, value: .bool(b)))
            case let .int(i): result.values.append(NamedValue(name: name, value: .int(i)))
            case let .bigInt(bytes): result.values.append(NamedValue(name: name, value: .bigInt(Self.decimal(bytes))))
            case let .float(d): result.values.append(NamedValue(name: name, value: .float(d)))
            case let .complex(re, im): result.values.append(NamedValue(name: name, value: .complex(re, im)))
            case let .string(s): result.values.append(NamedValue(name: name, value: .string(s)))
            case let .bytes(b): result.values.append(NamedValue(name: name, value: .bytes(b)))
            case let .global(global):
                // A dtype or layout stored as a value (rare): keep its name.
                result.values.append(NamedValue(name: name, value: .string(String(describing: global))))
            case .mark:
                throw CheckpointError.corruptPickle(file: file, offset: 0, reason: "a MARK left inside the object")
            }
            for child in children.reversed() {
                nameBytes += child.0.utf8.count
                guard nameBytes <= limits.maxNameBytes else {
                    throw CheckpointError.limitExceeded(file: file, what: "bytes of tensor and value names", limit: limits.maxNameBytes)
                }
                pending.append((child.0, child.1, depth + 1))
            }
        }
        return result
    }

    private func join(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    /// A placeholder object's children: its state's attributes, where
    /// `_parameters`, `_buffers` and `_modules` add no name segment (so names
    /// are module paths, as in a state_dict); with no state, its arguments.
    private func objectChildren(_ object: PlaceholderObject, at name: String) throws -> [(String, PickleValue)] {
        var attributes: PickleDict?
        switch object.state {
        case let .dict(dict)?: attributes = dict
        case let .tuple(parts)? where parts.count == 2:
            if case let .dict(dict) = parts[0] { attributes = dict }
        default: break
        }
        guard let attributes else {
            if let state = object.state { return [(join(name, "state"), state)] }
            return object.arguments.enumerated().map { (join(name, String($0.offset)), $0.element) }
        }
        var children: [(String, PickleValue)] = []
        for (key, value) in zip(attributes.keys, attributes.values) {
            let attribute = try keyName(key, at: name)
            if ["_parameters", "_buffers", "_modules"].contains(attribute), case let .dict(members) = value {
                for (memberKey, member) in zip(members.keys, members.values) {
                    children.append((join(name, try keyName(memberKey, at: name)), member))
                }
            } else {
                children.append((join(name, attribute), value))
            }
        }
        return children
    }

    private func keyName(_ key: PickleValue, at path: String) throws -> String {
        switch key {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .bool(b): return b ? "True" : "False"
        case let .float(d): return String(d)
        case .none: return "None"
        default:
            throw CheckpointError.invalidTensor(file: file, name: path, reason: "a dict key of type \(key.kindName) cannot be part of a tensor name")
        }
    }

    private func duplicate(_ name: String) -> CheckpointError {
        .invalidTensor(file: file, name: name, reason: "two values flatten to this name")
    }

    /// Decimal text of a little-endian two's complement integer.
    static func decimal(_ bytes: [UInt8]) -> String {
        let negative = (bytes.last ?? 0) & 0x80 != 0
        var magnitude = bytes.map { negative ? ~$0 : $0 }  // one's complement; add 1 below
        if negative {
            var carry = 1
            for i in magnitude.indices where carry != 0 {
                let sum = Int(magnitude[i]) + carry
                magnitude[i] = UInt8(sum & 0xFF)
                carry = sum >> 8
            }
        }
        var digits: [UInt8] = []
        var words = magnitude.reversed().map { Int($0) }  // big-endian base-256
        while words.contains(where: { $0 != 0 }) {
            var remainder = 0
            for i in words.indices {
                let current = remainder * 256 + words[i]
                words[i] = current / 10
                remainder = current % 10
            }
            digits.append(UInt8(remainder))
        }
        let text = digits.isEmpty ? "0" : String(digits.reversed().map { Character(String($0)) })
        return negative ? "-" + text : text
    }
}
