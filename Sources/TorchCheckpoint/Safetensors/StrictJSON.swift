/// A JSON value as the strict header parser produces it. Objects keep their
/// members in document order; numbers keep their literal text so integers of
/// any size are judged exactly, never through a Double.
indirect enum JSONValue {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember {
    let key: String
    let value: JSONValue
}

/// What an integer literal turned out to be.
enum JSONInteger: Equatable {
    case value(Int)
    /// A negative integer (`-0` counts as 0, not as negative).
    case negative(String)
    /// Larger than `Int.max`.
    case tooLarge(String)
    /// A fraction or an exponent (`2.0`, `1e3`), or not a number at all.
    case notInteger
}

extension JSONValue {
    /// The value as a non-negative integer literal, judged from its text.
    var integer: JSONInteger {
        guard case let .number(text) = self else { return .notInteger }
        let utf8 = Array(text.utf8)
        guard !utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            return .notInteger
        }
        let negative = utf8.first == UInt8(ascii: "-")
        var value = 0
        for byte in utf8.dropFirst(negative ? 1 : 0) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if o1 || o2 { return negative ? .negative(text) : .tooLarge(text) }
            value = sum
        }
        if negative, value != 0 { return .negative(text) }
        return .value(value)
    }
}

/// Why the header is not acceptable JSON.
enum StrictJSONError: Error, Equatable {
    /// Not JSON: `reason` at byte `offset` of the text.
    case syntax(offset: Int, reason: String)
    /// An object names the same key twice (JSON parsers differ on which one wins,
    /// so the file means different things to different readers).
    case duplicateKey(offset: Int, key: String)
    /// Containers nest deeper than the limit.
    case tooDeep(offset: Int, limit: Int)
}

/// A strict RFC 8259 JSON parser for untrusted headers. Unlike
/// `JSONSerialization` it refuses duplicate object keys, lone surrogate
/// escapes, control characters in strings, invalid UTF-8 and anything after
/// the value, and it keeps object members in document order. It is iterative
/// (an explicit stack, bounded by `maxDepth`), so no input can exhaust the
/// call stack.
struct StrictJSON {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let maxDepth: Int

    /// The `syntax` reason given for bytes that are not UTF-8.
    static let invalidUTF8 = "invalid UTF-8"

    /// Parses `bytes` as one JSON value surrounded by optional whitespace.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) throws(StrictJSONError) -> JSONValue {
        if let bad = firstInvalidUTF8(bytes) {
            throw .syntax(offset: bad, reason: invalidUTF8)
        }
        var parser = StrictJSON(bytes: bytes, maxDepth: max(1, maxDepth))
        return try parser.parseDocument()
    }

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: Structure

    /// A container being filled. A struct mutated in place on the stack (an
    /// enum payload would be copied on every append, making parsing quadratic).
    private struct Frame {
        let isObject: Bool
        var items: [JSONValue] = []
        var members: [JSONMember] = []
        var keys: Set<String> = []
        var pendingKey = ""
    }

    private mutating func parseDocument() throws(StrictJSONError) -> JSONValue {
        var stack: [Frame] = []
        var finished: JSONValue
        parsing: while true {
            skipWhitespace()
            guard let byte = peek() else { throw .syntax(offset: position, reason: "unexpected end of text, expected a value") }
            var value: JSONValue
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "["), stack.count >= maxDepth {
                throw .tooDeep(offset: position, limit: maxDepth)
            }
            switch byte {
            case UInt8(ascii: "{"):
                position += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    position += 1
                    value = .object([])
                } else {
                    let key = try parseKey(existing: [])
                    stack.append(Frame(isObject: true, keys: [key], pendingKey: key))
                    continue parsing
                }
            case UInt8(ascii: "["):
                position += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue parsing
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                throw .syntax(offset: position, reason: "unexpected \(describe(byte)), expected a value")
            }

            // Hand the finished value to its container, closing containers that end here.
            while true {
                let top = stack.count - 1
                guard top >= 0 else {
                    finished = value
                    break parsing
                }
                skipWhitespace()
                if stack[top].isObject {
                    stack[top].members.append(JSONMember(key: stack[top].pendingKey, value: value))
                    switch peek() {
                    case UInt8(ascii: ","):
                        position += 1
                        skipWhitespace()
                        let key = try parseKey(existing: stack[top].keys)
                        stack[top].keys.insert(key)
                        stack[top].pendingKey = key
                        continue parsing
                    case UInt8(ascii: "}"):
                        position += 1
                        value = .object(stack.removeLast().members)
                    default:
                        throw .syntax(offset: position, reason: "expected ',' or '}' in an object, found \(describePeek())")
                    }
                } else {
                    stack[top].items.append(value)
                    switch peek() {
                    case UInt8(ascii: ","):
                        position += 1
                        continue parsing
                    case UInt8(ascii: "]"):
                        position += 1
                        value = .array(stack.removeLast().items)
                    default:
                        throw .syntax(offset: position, reason: "expected ',' or ']' in an array, found \(describePeek())")
                    }
                }
            }
        }
        skipWhitespace()
        guard position == bytes.count else {
            throw .syntax(offset: position, reason: "unexpected \(describePeek()) after the JSON value")
        }
        return finished
    }

    /// `"key"` then `:`; the key must be new in its object.
    private mutating func parseKey(existing: Set<String>) throws(StrictJSONError) -> String {
        guard peek() == UInt8(ascii: "\"") else {
            throw .syntax(offset: position, reason: "expected a string key, found \(describePeek())")
        }
        let start = position
        let key = try parseString()
        guard !existing.contains(key) else { throw .duplicateKey(offset: start, key: key) }
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else {
            throw .syntax(offset: position, reason: "expected ':' after a key, found \(describePeek())")
        }
        position += 1
        return key
    }

    // MARK: Scalars

    private mutating func parseString() throws(StrictJSONError) -> String {
        let opening = position
        position += 1  // the opening quote
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw .syntax(offset: opening, reason: "unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                // The text was validated as UTF-8 and a string's bytes lie between
                // ASCII delimiters, so `out` is valid UTF-8 too.
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = peek() else { throw .syntax(offset: opening, reason: "unterminated string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    UTF8.encode(scalar) { out.append($0) }
                default:
                    throw .syntax(offset: position - 2, reason: "invalid escape '\\\(describeRaw(escape))' in a string")
                }
            case 0x00..<0x20:
                throw .syntax(offset: position, reason: "unescaped control character \(hexByte(byte)) in a string")
            default:
                out.append(byte)
                position += 1
            }
        }
    }

    /// The four hex digits after `\u` (and a following `\uDC00`-`\uDFFF` for a high surrogate).
    private mutating func parseUnicodeEscape() throws(StrictJSONError) -> Unicode.Scalar {
        let start = position - 2
        let first = try hex4()
        switch first {
        case 0xD800...0xDBFF:
            guard peek() == UInt8(ascii: "\\"), peek(at: 1) == UInt8(ascii: "u") else {
                throw .syntax(offset: start, reason: "lone high surrogate \\u\(String(first, radix: 16)) in a string")
            }
            position += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw .syntax(offset: start, reason: "high surrogate \\u\(String(first, radix: 16)) not followed by a low surrogate")
            }
            let combined = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            guard let scalar = Unicode.Scalar(combined) else {
                throw .syntax(offset: start, reason: "invalid surrogate pair")
            }
            return scalar
        case 0xDC00...0xDFFF:
            throw .syntax(offset: start, reason: "lone low surrogate \\u\(String(first, radix: 16)) in a string")
        default:
            guard let scalar = Unicode.Scalar(first) else { throw .syntax(offset: start, reason: "invalid \\u escape") }
            return scalar
        }
    }

    private mutating func hex4() throws(StrictJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw .syntax(offset: position, reason: "unterminated \\u escape") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .syntax(offset: position, reason: "expected a hex digit in a \\u escape, found \(describe(byte))")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(StrictJSONError) -> String {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let lead = peek(), isDigit(lead) else {
            throw .syntax(offset: position, reason: "expected a digit in a number, found \(describePeek())")
        }
        position += 1
        if lead == UInt8(ascii: "0") {
            if let next = peek(), isDigit(next) {
                throw .syntax(offset: start, reason: "a number may not have a leading zero")
            }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let d = peek(), isDigit(d) else {
                throw .syntax(offset: position, reason: "expected a digit after '.' in a number")
            }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let d = peek(), isDigit(d) else {
                throw .syntax(offset: position, reason: "expected a digit in a number's exponent")
            }
            skipDigits()
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(StrictJSONError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard count <= bytes.count - position else { return false }
            for i in 0..<count where bytes[position + i] != expected[i] { return false }
            return true
        }
        guard matches else { throw .syntax(offset: position, reason: "invalid literal (expected \(literal))") }
        position += count
    }

    // MARK: Bytes

    private func peek(at ahead: Int = 0) -> UInt8? {
        let index = position + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { position += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func describePeek() -> String {
        guard let byte = peek() else { return "the end of the text" }
        return describe(byte)
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(describeRaw(byte))'" : "byte \(hexByte(byte))"
    }

    private func describeRaw(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : hexByte(byte)
    }

    private func hexByte(_ byte: UInt8) -> String {
        "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    /// Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and
    /// code points above U+10FFFF included), or nil when the text is valid.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF  // allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard length <= n - i else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= lower, b1 <= upper else { return i }
            for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
