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
            guard let opcode = reader.byte() else {
                throw corrupt(offset, "the stream ends before STOP")
            }
            switch opcode {
            case 0x80: _ = try reader.take(1, at: offset)  // PROTO
            case 0x95:  // FRAME: only a read hint, but one that must fit the stream, as Python checks
                let length = try reader.uint(8, at: offset)
                guard length <= bytes.count - reader.position else {
                    throw corrupt(offset, "a frame of \(length) bytes runs past the end of the stream")
                }
            case 0x2E:  // STOP
                let value = try pop(offset)
                guard stack.isEmpty, metastack.isEmpty else { throw corrupt(offset, "values left on the stack at STOP") }
                return (value, reader.position)
            case 0x28:  // MARK
                guard metastack.count < limits.maxDepth else {
                    throw CheckpointError.limitExceeded(file: file, what: "pickle MARK nesting", limit: limits.maxDepth)
                }
                metastack.append(stack)
                stack = []
            case 0x31:  // POP_MARK
                _ = try popMark(offset)
            case 0x30: _ = try pop(offset)  // POP
            case 0x32: push(try top(offset))  // DUP

            // Constants and numbers.
            case 0x4E: push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x4A: push(.int(Int(Int32(bitPattern: UInt32(try reader.uint(4, at: offset))))))  // BININT
            case 0x4B: push(.int(try reader.uint(1, at: offset)))  // BININT1
            case 0x4D: push(.int(try reader.uint(2, at: offset)))  // BININT2
            case 0x8A: push(Self.long(try reader.take(try reader.uint(1, at: offset), at: offset)))  // LONG1
            case 0x8B:  // LONG4: torch never writes integers this wide; huge ones only cost time
                let digits = try reader.take(try reader.uint(4, at: offset), at: offset)
                guard digits.count <= Self.maxIntegerBytes else {
                    throw CheckpointError.limitExceeded(file: file, what: "an integer of \(digits.count) bytes", limit: Self.maxIntegerBytes)
                }
                push(Self.long(digits))
            case 0x49:  // INT (text; "00"/"01" are False/True)
                let line = try reader.line(at: offset)
                if line == "00" { push(.bool(false)) } else if line == "01" { push(.bool(true)) } else {
                    guard let value = Int(line) else { throw corrupt(offset, "INT argument '\(line.prefix(40))' is not an integer") }
                    push(.int(value))
                }
            case 0x4C:  // LONG (text, trailing L)
                var line = try reader.line(at: offset)
                if line.hasSuffix("L") { line.removeLast() }
                guard let value = Int(line) else { throw corrupt(offset, "LONG argument '\(line.prefix(40))' does not fit in 64 bits") }
                push(.int(value))
            case 0x47:  // BINFLOAT, big-endian IEEE double
                push(.float(Double(bitPattern: try reader.uintBigEndian(8, at: offset))))
            case 0x46:  // FLOAT (text)
                let line = try reader.line(at: offset)
                guard let value = Double(line) else { throw corrupt(offset, "FLOAT argument '\(line.prefix(40))' is not a number") }
                push(.float(value))

            // Strings and bytes.
            case 0x58: push(.string(try reader.utf8(try reader.uint(4, at: offset), at: offset)))  // BINUNICODE
            case 0x8C: push(.string(try reader.utf8(try reader.uint(1, at: offset), at: offset)))  // SHORT_BINUNICODE
            case 0x8D: push(.string(try reader.utf8(try reader.uint(8, at: offset), at: offset)))  // BINUNICODE8
            case 0x56: push(.string(try reader.line(at: offset)))  // UNICODE (raw-unicode-escape; ASCII in practice)
            case 0x54: push(.string(try reader.latin1(try reader.uint(4, at: offset), at: offset)))  // BINSTRING
            case 0x55: push(.string(try reader.latin1(try reader.uint(1, at: offset), at: offset)))  // SHORT_BINSTRING
            case 0x53:  // STRING (text, quoted)
                var line = try reader.line(at: offset)
                guard line.count >= 2, let q = line.first, q == line.last, q == "'" || q == "\"" else {
                    throw corrupt(offset, "STRING argument is not quoted")
                }
                line.removeFirst(); line.removeLast()
                push(.string(line))
            case 0x42: push(.bytes(Array(try reader.take(try reader.uint(4, at: offset), at: offset))))  // BINBYTES
            case 0x43: push(.bytes(Array(try reader.take(try reader.uint(1, at: offset), at: offset))))  // SHORT_BINBYTES
            case 0x8E: push(.bytes(Array(try reader.take(try reader.uint(8, at: offset), at: offset))))  // BINBYTES8
            case 0x96: push(.bytes(Array(try reader.take(try reader.uint(8, at: offset), at: offset))))  // BYTEARRAY8

            // Containers.
            case 0x7D: push(.dict(track(PickleDict())))  // EMPTY_DICT
            case 0x5D: push(.list(track(PickleList())))  // EMPTY_LIST
            case 0x29: push(.tuple([]))  // EMPTY_TUPLE
            case 0x8F: push(.set(track(PickleSequence([]))))  // EMPTY_SET
            case 0x64:  // DICT
                let items = try popMark(offset)
                guard items.count % 2 == 0 else { throw corrupt(offset, "DICT with an odd number of items") }
                let dict = track(PickleDict())
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(dict, items[i], items[i + 1], offset) }
                push(.dict(dict))
            case 0x6C: push(.list(track(PickleList(try popMark(offset)))))  // LIST
            case 0x74: push(.tuple(PickleSequence(try popMark(offset))))  // TUPLE
            case 0x85: let a = try pop(offset); push(.tuple([a]))  // TUPLE1
            case 0x86: let b = try pop(offset), a = try pop(offset); push(.tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(offset), b = try pop(offset), a = try pop(offset); push(.tuple([a, b, c]))  // TUPLE3
            case 0x91: push(.set(track(PickleSequence(try popMark(offset)))))  // FROZENSET
            case 0x73:  // SETITEM
                let value = try pop(offset), key = try pop(offset)
                try setItem(try dictOnTop(offset, "SETITEM"), key, value, offset)
            case 0x75:  // SETITEMS
                let items = try popMark(offset)
                guard items.count % 2 == 0 else { throw corrupt(offset, "SETITEMS with an odd number of items") }
                let dict = try dictOnTop(offset, "SETITEMS")
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(dict, items[i], items[i + 1], offset) }
            case 0x61:  // APPEND
                let value = try pop(offset)
                try listOnTop(offset, "APPEND").items.append(value)
            case 0x65:  // APPENDS
                let items = try popMark(offset)
                try listOnTop(offset, "APPENDS").items.append(contentsOf: items)
            case 0x90:  // ADDITEMS
                let items = try popMark(offset)
                guard case let .set(existing) = try top(offset) else { throw corrupt(offset, "ADDITEMS on a value that is not a set") }
                existing.append(contentsOf: items)

            // Memo.
            case 0x68: try get(try reader.uint(1, at: offset), offset)  // BINGET
            case 0x6A: try get(try reader.uint(4, at: offset), offset)  // LONG_BINGET
            case 0x67:  // GET (text)
                let line = try reader.line(at: offset)
                guard let index = Int(line) else { throw corrupt(offset, "GET argument is not an integer") }
                try get(index, offset)
            case 0x71: try put(try reader.uint(1, at: offset), offset)  // BINPUT
            case 0x72: try put(try reader.uint(4, at: offset), offset)  // LONG_BINPUT
            case 0x70:  // PUT (text)
                let line = try reader.line(at: offset)
                guard let index = Int(line) else { throw corrupt(offset, "PUT argument is not an integer") }
                try put(index, offset)
            case 0x94: try put(memo.count, offset)  // MEMOIZE

            // Globals and object construction: allowlist and fixed rules only.
            case 0x63:  // GLOBAL
                let module = try reader.line(at: offset)
                let name = try reader.line(at: offset)
                push(.global(try resolve(module: module, name: name, offset: offset)))
            case 0x93:  // STACK_GLOBAL
                guard case let .string(name) = try pop(offset), case let .string(module) = try pop(offset) else {
                    throw corrupt(offset, "STACK_GLOBAL needs two strings")
                }
                push(.global(try resolve(module: module, name: name, offset: offset)))
            case 0x52:  // REDUCE
                let arguments = try pop(offset)
                let callable = try pop(offset)
                guard case let .tuple(args) = arguments else { throw corrupt(offset, "REDUCE arguments are not a tuple") }
                guard case let .global(global) = callable else {
                    throw corrupt(offset, "REDUCE on a \(callable.kindName), which is not an allowed callable")
                }
                push(try apply(global, Array(args), offset: offset))
            case 0x81:  // NEWOBJ
                let arguments = try pop(offset)
                let cls = try pop(offset)
                guard case let .tuple(args) = arguments, case let .global(global) = cls else {
                    throw corrupt(offset, "NEWOBJ needs a class and an argument tuple")
                }
                push(try construct(global, Array(args), offset: offset))
            case 0x92:  // NEWOBJ_EX
                _ = try pop(offset)
                let arguments = try pop(offset)
                let cls = try pop(offset)
                guard case let .tuple(args) = arguments, case let .global(global) = cls else {
                    throw corrupt(offset, "NEWOBJ_EX needs a class and an argument tuple")
                }
                push(try construct(global, Array(args), offset: offset))
            case 0x62:  // BUILD
                let state = try pop(offset)
                try build(try top(offset), state: state, offset: offset)
            case 0x69:  // INST: names a class inline; only allowlisted ones, which never need it
                let module = try reader.line(at: offset)
                let name = try reader.line(at: offset)
                _ = try resolve(module: module, name: name, offset: offset)
                throw corrupt(offset, "INST construction of '\(module).\(name)' is not supported")
            case 0x6F:  // OBJ
                let items = try popMark(offset)
                guard case let .global(global)? = items.first else { throw corrupt(offset, "OBJ without a class") }
                push(try construct(global, Array(items.dropFirst()), offset: offset))

            // Persistent ids: torch's storages.
            case 0x51: push(try persistentLoad(try pop(offset), offset))  // BINPERSID
            case 0x50: push(try persistentLoad(.string(try reader.line(at: offset)), offset))  // PERSID

            default:
                throw CheckpointError.unknownOpcode(file: file, opcode: opcode, offset: offset)
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
