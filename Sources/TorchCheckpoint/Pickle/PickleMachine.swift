/// A pickle virtual machine for protocols 0 to 5 that can only build data.
///
/// It never imports or calls anything: GLOBAL resolves names against
/// `AllowedGlobal` (refusing the rest), and REDUCE/NEWOBJ/BUILD apply fixed
/// rebuild rules (`PickleMachine+Rebuild.swift`). Every count read from the
/// stream is checked against the bytes that remain and against `ReadLimits`,
/// so no input can make it trap, recurse or allocate without bound.
struct PickleMachine {
    let file: String
    let limits: ReadLimits
    var options = ReadOptions()
    /// Resolves a persistent id (BINPERSID/PERSID) to a storage.
    let persistentLoad: (PickleValue, Int) throws -> PickleValue

    /// Every mutable container built, so cycles (a list appended to itself
    /// through the memo) are broken when the parse's values are let go.
    let arena: PickleArena
    private var stack: [PickleValue] = []
    private var metastack: [[PickleValue]] = []
    private var memo: [Int: PickleValue] = [:]

    init(file: String, limits: ReadLimits, arena: PickleArena = PickleArena(),
         persistentLoad: @escaping (PickleValue, Int) throws -> PickleValue) {
        self.arena = arena
        self.file = file
        self.limits = limits
        self.persistentLoad = persistentLoad
    }

    /// Runs one pickle that starts at `start`; returns its value and the offset after STOP.
    mutating func run(_ bytes: UnsafeRawBufferPointer, from start: Int = 0) throws -> (value: PickleValue, end: Int) {
        stack = []
        metastack = []
        memo = [:]
        var reader = ByteReader(bytes: bytes, position: start, file: file)
        guard bytes.count - start <= limits.maxPickleBytes else {
            throw CheckpointError.limitExceeded(file: file, what: "pickle of \(bytes.count - start) bytes", limit: limits.maxPickleBytes)
        }
        var executed = 0
        while true {
            executed += 1
            guard executed <= limits.maxOpcodes else {
                throw CheckpointError.limitExceeded(file: file, what: "pickle opcode count", limit: limits.maxOpcodes)
            }
            let offset = reader.position
            guard let byte = reader.byte() else {
                throw corrupt(offset, "the stream ends before STOP")
            }
            guard let opcode = PickleOpcode(rawValue: byte) else {
                throw CheckpointError.unknownOpcode(file: file, opcode: byte, offset: offset)
            }
            switch opcode {
            case .proto: _ = try reader.take(1, at: offset)
            case .frame:  // only a read hint, but one that must fit the stream, as Python checks
                let length = try reader.uint(8, at: offset)
                guard length <= bytes.count - reader.position else {
                    throw corrupt(offset, "a frame of \(length) bytes runs past the end of the stream")
                }
            case .stop:
                let value = try pop(offset)
                guard stack.isEmpty, metastack.isEmpty else { throw corrupt(offset, "values left on the stack at STOP") }
                return (value, reader.position)
            case .mark:
                guard metastack.count < limits.maxDepth else {
                    throw CheckpointError.limitExceeded(file: file, what: "pickle MARK nesting", limit: limits.maxDepth)
                }
                metastack.append(stack)
                stack = []
            case .popMark:
                _ = try popMark(offset)
            case .pop: _ = try pop(offset)
            case .dup: push(try top(offset))

            // Constants and numbers.
            case .none: push(.none)
            case .newTrue: push(.bool(true))
            case .newFalse: push(.bool(false))
            case .binInt: push(.int(Int(Int32(bitPattern: UInt32(try reader.uint(4, at: offset))))))
            case .binInt1: push(.int(try reader.uint(1, at: offset)))
            case .binInt2: push(.int(try reader.uint(2, at: offset)))
            case .long1: push(Self.long(try reader.take(try reader.uint(1, at: offset), at: offset)))
            case .long4:  // torch never writes integers this wide; huge ones only cost time
                let digits = try reader.take(try reader.uint(4, at: offset), at: offset)
                guard digits.count <= Self.maxIntegerBytes else {
                    throw CheckpointError.limitExceeded(file: file, what: "an integer of \(digits.count) bytes", limit: Self.maxIntegerBytes)
                }
                push(Self.long(digits))
            case .int:  // text; "00"/"01" are False/True
                let line = try reader.line(at: offset)
                if line == "00" { push(.bool(false)) } else if line == "01" { push(.bool(true)) } else {
                    guard let value = Int(line) else { throw corrupt(offset, "INT argument '\(line.prefix(40))' is not an integer") }
                    push(.int(value))
                }
            case .long:  // text, trailing L
                var line = try reader.line(at: offset)
                if line.hasSuffix("L") { line.removeLast() }
                guard let value = Int(line) else { throw corrupt(offset, "LONG argument '\(line.prefix(40))' does not fit in 64 bits") }
                push(.int(value))
            case .binFloat:  // big-endian IEEE double
                push(.float(Double(bitPattern: try reader.uintBigEndian(8, at: offset))))
            case .float:  // text
                let line = try reader.line(at: offset)
                guard let value = Double(line) else { throw corrupt(offset, "FLOAT argument '\(line.prefix(40))' is not a number") }
                push(.float(value))

            // Strings and bytes.
            case .binUnicode: push(.string(try reader.utf8(try reader.uint(4, at: offset), at: offset)))
            case .shortBinUnicode: push(.string(try reader.utf8(try reader.uint(1, at: offset), at: offset)))
            case .binUnicode8: push(.string(try reader.utf8(try reader.uint(8, at: offset), at: offset)))
            case .unicode: push(.string(try reader.line(at: offset)))  // raw-unicode-escape; ASCII in practice
            case .binString: push(.string(try reader.latin1(try reader.uint(4, at: offset), at: offset)))
            case .shortBinString: push(.string(try reader.latin1(try reader.uint(1, at: offset), at: offset)))
            case .string:  // text, quoted
                var line = try reader.line(at: offset)
                guard line.count >= 2, let q = line.first, q == line.last, q == "'" || q == "\"" else {
                    throw corrupt(offset, "STRING argument is not quoted")
                }
                line.removeFirst(); line.removeLast()
                push(.string(line))
            case .binBytes: push(.bytes(Array(try reader.take(try reader.uint(4, at: offset), at: offset))))
            case .shortBinBytes: push(.bytes(Array(try reader.take(try reader.uint(1, at: offset), at: offset))))
            case .binBytes8: push(.bytes(Array(try reader.take(try reader.uint(8, at: offset), at: offset))))
            case .byteArray8: push(.bytes(Array(try reader.take(try reader.uint(8, at: offset), at: offset))))

            // Containers.
            case .emptyDict: push(.dict(track(PickleDict())))
            case .emptyList: push(.list(track(PickleList())))
            case .emptyTuple: push(.tuple([]))
            case .emptySet: push(.set(track(PickleSequence([]))))
            case .dict:
                let items = try popMark(offset)
                guard items.count % 2 == 0 else { throw corrupt(offset, "DICT with an odd number of items") }
                let dict = track(PickleDict())
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(dict, items[i], items[i + 1], offset) }
                push(.dict(dict))
            case .list: push(.list(track(PickleList(try popMark(offset)))))
            case .tuple: push(.tuple(PickleSequence(try popMark(offset))))
            case .tuple1: let a = try pop(offset); push(.tuple([a]))
            case .tuple2: let b = try pop(offset), a = try pop(offset); push(.tuple([a, b]))
            case .tuple3: let c = try pop(offset), b = try pop(offset), a = try pop(offset); push(.tuple([a, b, c]))
            case .frozenSet: push(.set(track(PickleSequence(try popMark(offset)))))
            case .setItem:
                let value = try pop(offset), key = try pop(offset)
                try setItem(try dictOnTop(offset, "SETITEM"), key, value, offset)
            case .setItems:
                let items = try popMark(offset)
                guard items.count % 2 == 0 else { throw corrupt(offset, "SETITEMS with an odd number of items") }
                let dict = try dictOnTop(offset, "SETITEMS")
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(dict, items[i], items[i + 1], offset) }
            case .append:
                let value = try pop(offset)
                try listOnTop(offset, "APPEND").items.append(value)
            case .appends:
                let items = try popMark(offset)
                try listOnTop(offset, "APPENDS").items.append(contentsOf: items)
            case .addItems:
                let items = try popMark(offset)
                guard case let .set(existing) = try top(offset) else { throw corrupt(offset, "ADDITEMS on a value that is not a set") }
                existing.append(contentsOf: items)

            // Memo.
            case .binGet: try get(try reader.uint(1, at: offset), offset)
            case .longBinGet: try get(try reader.uint(4, at: offset), offset)
            case .get:  // text
                let line = try reader.line(at: offset)
                guard let index = Int(line) else { throw corrupt(offset, "GET argument is not an integer") }
                try get(index, offset)
            case .binPut: try put(try reader.uint(1, at: offset), offset)
            case .longBinPut: try put(try reader.uint(4, at: offset), offset)
            case .put:  // text
                let line = try reader.line(at: offset)
                guard let index = Int(line) else { throw corrupt(offset, "PUT argument is not an integer") }
                try put(index, offset)
            case .memoize: try put(memo.count, offset)

            // Globals and object construction: allowlist and fixed rules only.
            case .global:
                let module = try reader.line(at: offset)
                let name = try reader.line(at: offset)
                push(.global(try resolve(module: module, name: name, offset: offset)))
            case .stackGlobal:
                guard case let .string(name) = try pop(offset), case let .string(module) = try pop(offset) else {
                    throw corrupt(offset, "STACK_GLOBAL needs two strings")
                }
                push(.global(try resolve(module: module, name: name, offset: offset)))
            case .reduce:
                let arguments = try pop(offset)
                let callable = try pop(offset)
                guard case let .tuple(args) = arguments else { throw corrupt(offset, "REDUCE arguments are not a tuple") }
                guard case let .global(global) = callable else {
                    throw corrupt(offset, "REDUCE on a \(callable.kindName), which is not an allowed callable")
                }
                push(try apply(global, Array(args), offset: offset))
            case .newObj:
                let arguments = try pop(offset)
                let cls = try pop(offset)
                guard case let .tuple(args) = arguments, case let .global(global) = cls else {
                    throw corrupt(offset, "NEWOBJ needs a class and an argument tuple")
                }
                push(try construct(global, Array(args), offset: offset))
            case .newObjEx:
                _ = try pop(offset)
                let arguments = try pop(offset)
                let cls = try pop(offset)
                guard case let .tuple(args) = arguments, case let .global(global) = cls else {
                    throw corrupt(offset, "NEWOBJ_EX needs a class and an argument tuple")
                }
                push(try construct(global, Array(args), offset: offset))
            case .build:
                let state = try pop(offset)
                try build(try top(offset), state: state, offset: offset)
            case .inst:  // names a class inline; only allowlisted ones, which never need it
                let module = try reader.line(at: offset)
                let name = try reader.line(at: offset)
                _ = try resolve(module: module, name: name, offset: offset)
                throw corrupt(offset, "INST construction of '\(module).\(name)' is not supported")
            case .obj:
                let items = try popMark(offset)
                guard case let .global(global)? = items.first else { throw corrupt(offset, "OBJ without a class") }
                push(try construct(global, Array(items.dropFirst()), offset: offset))

            // Persistent ids: torch's storages.
            case .binPersid: push(try persistentLoad(try pop(offset), offset))
            case .persid: push(try persistentLoad(.string(try reader.line(at: offset)), offset))

            // Out-of-band buffers (protocol 5) cannot come from torch.save: refused like unknown opcodes.
            case .nextBuffer, .readOnlyBuffer:
                throw CheckpointError.unknownOpcode(file: file, opcode: byte, offset: offset)
            }
        }
    }

    // MARK: Stack

    func track<Container: PickleContainer>(_ container: Container) -> Container {
        arena.containers.append(container)
        return container
    }

    private mutating func push(_ value: PickleValue) { stack.append(value) }

    private mutating func pop(_ offset: Int) throws -> PickleValue {
        guard let value = stack.popLast() else { throw corrupt(offset, "stack underflow") }
        if case .mark = value { throw corrupt(offset, "unexpected MARK") }
        return value
    }

    private func top(_ offset: Int) throws -> PickleValue {
        guard let value = stack.last else { throw corrupt(offset, "stack underflow") }
        return value
    }

    private mutating func popMark(_ offset: Int) throws -> [PickleValue] {
        guard let previous = metastack.popLast() else { throw corrupt(offset, "no MARK to pop to") }
        let items = stack
        stack = previous
        return items
    }

    private func dictOnTop(_ offset: Int, _ opcode: String) throws -> PickleDict {
        guard case let .dict(dict) = try top(offset) else { throw corrupt(offset, "\(opcode) on a value that is not a dict") }
        return dict
    }

    private func listOnTop(_ offset: Int, _ opcode: String) throws -> PickleList {
        guard case let .list(list) = try top(offset) else { throw corrupt(offset, "\(opcode) on a value that is not a list") }
        return list
    }

    private mutating func get(_ index: Int, _ offset: Int) throws {
        guard let value = memo[index] else { throw corrupt(offset, "memo entry \(index) is not defined") }
        push(value)
    }

    private mutating func put(_ index: Int, _ offset: Int) throws {
        let value = try top(offset)
        if memo[index] == nil, memo.count >= limits.maxMemoEntries {
            throw CheckpointError.limitExceeded(file: file, what: "pickle memo entries", limit: limits.maxMemoEntries)
        }
        memo[index] = value
    }

    /// Widest LONG4 integer read, in bytes (8192 bits).
    static let maxIntegerBytes = 1024
    /// Deepest and largest dict key hashed (torch's keys are strings and small ints).
    static let maxKeyDepth = 32
    static let maxKeyElements = 1_000

    private func setItem(_ dict: PickleDict, _ key: PickleValue, _ value: PickleValue, _ offset: Int) throws {
        dict.set(key, identity: try keyIdentity(key, offset: offset), value)
    }

    /// What makes two dict keys the same key, as Python's hash and == would
    /// decide for the key types a pickle can hold. Computed without recursion
    /// and within a budget, so a huge or deeply nested tuple key is refused
    /// rather than hashed for minutes; an unhashable key (list, dict, set) is
    /// an error, as it is in Python.
    func keyIdentity(_ key: PickleValue, offset: Int) throws -> String {
        var text = ""
        var pending: [(value: PickleValue?, depth: Int)] = [(key, 0)]  // nil closes a tuple
        var elements = 0
        while let (next, depth) = pending.popLast() {
            guard let value = next else { text += ")"; continue }
            elements += 1
            guard elements <= Self.maxKeyElements else {
                throw CheckpointError.limitExceeded(file: file, what: "dict key size (elements)", limit: Self.maxKeyElements)
            }
            guard depth <= Self.maxKeyDepth else {
                throw CheckpointError.limitExceeded(file: file, what: "dict key nesting", limit: Self.maxKeyDepth)
            }
            switch value {
            case let .string(s): text += "s\(s.utf8.count):" + s
            case let .int(i): text += "i\(i);"
            case let .bool(b): text += "i\(b ? 1 : 0);"
            case let .float(f): text += f == f.rounded() && abs(f) < 1e18 ? "i\(Int(f));" : "f\(f);"
            case let .bigInt(b): text += "n" + b.map { String($0, radix: 16) }.joined(separator: ",") + ";"
            case .none: text += "N;"
            case let .bytes(b): text += "b\(b.count):" + b.map { String($0, radix: 16) }.joined(separator: ",")
            case let .complex(re, im): text += "c\(re),\(im);"
            case let .tuple(items):
                text += "("
                pending.append((nil, depth))
                for item in items.reversed() { pending.append((item, depth + 1)) }
            default:
                throw corrupt(offset, "a dict key of type \(value.kindName), which Python cannot hash")
            }
        }
        return text
    }

    private func resolve(module: String, name: String, offset: Int) throws -> AllowedGlobal {
        if let global = AllowedGlobal(module: module, name: name) { return global }
        guard options.unknownGlobals == .placeholder else {
            throw CheckpointError.forbiddenGlobal(file: file, module: module, name: name, offset: offset)
        }
        if module == "torch.jit._pickle" { return .jitPassThrough(name) }
        return .placeholder(module: module, name: name)
    }

    func corrupt(_ offset: Int, _ reason: String) -> CheckpointError {
        .corruptPickle(file: file, offset: offset, reason: reason)
    }

    /// LONG1/LONG4 payload: little-endian two's complement.
    private static func long(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        guard bytes.count <= 8 else { return .bigInt(Array(bytes)) }
        var value: UInt64 = 0
        for (i, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if bytes.count < 8, bytes[bytes.count - 1] & 0x80 != 0 {
            value |= ~0 << (8 * UInt64(bytes.count))  // sign-extend
        }
        return .int(Int(Int64(bitPattern: value)))
    }
}

/// Bounds-checked reads from the pickle stream.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let file: String

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int, at offset: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw CheckpointError.corruptPickle(file: file, offset: offset, reason: "an argument of \(count) bytes runs past the end of the stream")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// An unsigned little-endian integer of `width` bytes (at most 8; values
    /// above Int.max are refused, as no length can be that large).
    mutating func uint(_ width: Int, at offset: Int) throws -> Int {
        let raw = try take(width, at: offset)
        var value: UInt64 = 0
        for (i, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        guard value <= UInt64(Int.max) else {
            throw CheckpointError.corruptPickle(file: file, offset: offset, reason: "length \(value) is out of range")
        }
        return Int(value)
    }

    mutating func uintBigEndian(_ width: Int, at offset: Int) throws -> UInt64 {
        let raw = try take(width, at: offset)
        var value: UInt64 = 0
        for byte in raw { value = value << 8 | UInt64(byte) }
        return value
    }

    mutating func utf8(_ count: Int, at offset: Int) throws -> String {
        String(decoding: try take(count, at: offset), as: UTF8.self)
    }

    mutating func latin1(_ count: Int, at offset: Int) throws -> String {
        String(String.UnicodeScalarView(try take(count, at: offset).map { Unicode.Scalar($0) }))
    }

    /// A newline-terminated text argument (protocol 0 opcodes and GLOBAL).
    mutating func line(at offset: Int) throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A { end += 1 }
        guard end < bytes.count else {
            throw CheckpointError.corruptPickle(file: file, offset: offset, reason: "a text argument has no terminating newline")
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return text
    }
}
