/// A value built by the pickle machine. Only plain data and the results of
/// allowlisted rebuild rules ever appear here: there is no way to represent
/// an arbitrary Python object, so none can be constructed.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for Int, as little-endian two's complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case complex(Double, Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleSequence)
    /// Lists and dicts are shared by reference, as in Python: the memo and
    /// APPEND/SETITEM act on the same object.
    case list(PickleList)
    case dict(PickleDict)
    case set(PickleSequence)
    case tensor(TensorRecord)
    case storage(StorageRecord)
    case global(AllowedGlobal)
    /// An instance of a class outside the allowlist, in placeholder mode only.
    case object(PlaceholderObject)
    /// The MARK sentinel, only ever on the stack.
    case mark

    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .complex: return "complex"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .set: return "set"
        case .tensor: return "tensor"
        case .storage: return "storage"
        case .global: return "global"
        case let .object(object): return "\(object.module).\(object.name) object"
        case .mark: return "mark"
        }
    }
}

final class PickleList: PickleContainer {
    var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
    func takeAll() -> [PickleValue] { defer { items = [] }; return items }
    deinit { PickleTeardown.drain(&items) }
}

/// The items of a tuple or set: immutable, shared by reference, torn down
/// without recursion.
final class PickleSequence: PickleContainer, RandomAccessCollection, ExpressibleByArrayLiteral {
    private var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func takeAll() -> [PickleValue] { defer { items = [] }; return items }
    /// ADDITEMS fills a set in place: a set memoized before it was filled is the same set.
    func append(contentsOf more: [PickleValue]) { items += more }
    convenience init(arrayLiteral elements: PickleValue...) { self.init(elements) }
    deinit { PickleTeardown.drain(&items) }

    var startIndex: Int { items.startIndex }
    var endIndex: Int { items.endIndex }
    subscript(position: Int) -> PickleValue { items[position] }
}

/// Releases a value graph without recursion. A pickle can nest containers a
/// million deep in a few megabytes (TUPLE1 after TUPLE1, or lists appended
/// top-down through the memo); letting Swift release such a chain would
/// recurse once per level and overflow the stack. Every container's deinit
/// hands its children to this loop instead, which takes apart each child it
/// holds the last reference to before letting it go.
enum PickleTeardown {
    static func drain(_ items: inout [PickleValue]) {
        guard !items.isEmpty else { return }
        var pending: [PickleValue] = []
        swap(&pending, &items)
        while !pending.isEmpty {
            var value = pending.removeLast()
            // Hold the container by itself (no switch temporaries), drop the
            // value, and only then ask whether this is the last reference.
            var container: AnyObject? = value.container
            value = .none
            if isKnownUniquelyReferenced(&container), let owned = container as? PickleContainer {
                pending += owned.takeAll()
            }
            container = nil
        }
    }
}

/// Holds every mutable container a pickle built. Python's collector frees
/// reference cycles (a list appended to itself through the memo); here the
/// parser calls `release()` once the values have been read — or the parse
/// failed — which empties every container and so breaks any cycle.
final class PickleArena {
    var containers: [any PickleContainer] = []

    func release() {
        let all = containers
        containers = []
        for container in all { var contents = container.takeAll(); PickleTeardown.drain(&contents) }
    }
}

/// A reference-type container whose contents `PickleTeardown` can take.
protocol PickleContainer: AnyObject {
    /// Empties the container, handing back everything it held.
    func takeAll() -> [PickleValue]
}

extension PickleValue {
    /// The container object behind a list, tuple, set, dict or placeholder value.
    var container: AnyObject? {
        switch self {
        case let .list(list): return list
        case let .tuple(sequence), let .set(sequence): return sequence
        case let .dict(dict): return dict
        case let .object(object): return object
        default: return nil
        }
    }
}

/// An insertion-ordered dict (every dict is ordered since Python 3.7).
final class PickleDict: PickleContainer {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var positions: [String: Int] = [:]
    /// State given by BUILD, e.g. an OrderedDict's `_metadata`.
    var attributes: PickleDict?

    /// Sets `value` under `key`, whose identity (see `PickleMachine.keyIdentity`) decides equality.
    func set(_ key: PickleValue, identity: String, _ value: PickleValue) {
        if let position = positions[identity] {
            values[position] = value
        } else {
            positions[identity] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: String) -> PickleValue? {
        positions["s\(key.utf8.count):" + key].map { values[$0] }
    }

    /// Empties the dict, handing back everything it held (for `PickleTeardown`).
    func takeAll() -> [PickleValue] {
        var all = keys + values
        if let attributes { all.append(.dict(attributes)) }
        keys = []; values = []; positions = [:]; attributes = nil
        return all
    }

    deinit {
        var all = takeAll()
        PickleTeardown.drain(&all)
    }

    var count: Int { keys.count }

}

/// A storage named by a persistent id: its record key, element type and size.
final class StorageRecord {
    let key: String
    /// nil for `torch.UntypedStorage` (bytes; the dtype comes from `_rebuild_tensor_v3`).
    let dtype: DType?
    /// Elements of `dtype`, or bytes when untyped.
    let count: Int
    let location: String
    /// Legacy format views: this storage is `count` elements of `rootKey` from `rootOffset` on.
    let rootKey: String
    let rootOffset: Int

    init(key: String, dtype: DType?, count: Int, location: String, rootKey: String? = nil, rootOffset: Int = 0) {
        self.key = key
        self.dtype = dtype
        self.count = count
        self.location = location
        self.rootKey = rootKey ?? key
        self.rootOffset = rootOffset
    }
}

/// An inert stand-in for an object of a class the allowlist does not know
/// (placeholder mode): it records the class's name, the arguments it was
/// built with and the state BUILD gave it. Nothing is ever called on it.
final class PlaceholderObject: PickleContainer {
    let module: String
    let name: String
    private(set) var arguments: [PickleValue]
    var state: PickleValue?

    init(module: String, name: String, arguments: [PickleValue]) {
        self.module = module
        self.name = name
        self.arguments = arguments
    }

    func takeAll() -> [PickleValue] {
        var all = arguments
        if let state { all.append(state) }
        arguments = []; state = nil
        return all
    }

    deinit {
        var all = takeAll()
        PickleTeardown.drain(&all)
    }
}

/// A tensor as `_rebuild_tensor_v2/v3` describes it: a strided view of a
/// storage. A class, so the same tensor reached twice is recognisably the same.
final class TensorRecord {
    init(storage: StorageRecord, dtype: DType, storageOffset: Int, shape: [Int], strides: [Int]) {
        self.storage = storage
        self.dtype = dtype
        self.storageOffset = storageOffset
        self.shape = shape
        self.strides = strides
    }

    let storage: StorageRecord
    let dtype: DType
    /// In elements of `dtype`, relative to the storage.
    let storageOffset: Int
    let shape: [Int]
    let strides: [Int]
}
