import Foundation

/// Why writing a tensor file failed.
///
/// Distinct from `CheckpointError`, which is about reading: a conversion that
/// fails because its input is unreadable throws a `CheckpointError`, one whose
/// output cannot be written throws a `WriteError`. The cases other than `.io`
/// and `.sizeMismatch` describe a request the format cannot hold (fix the names,
/// dtypes or shapes asked for); `.io` is a failed system call (disk full, no
/// permission, missing folder).
public enum WriteError: Error, Equatable, Sendable {
    /// Two tensors have the same name.
    case duplicateName(file: String, name: String)
    /// The format has no dtype for the tensor (complex128 in safetensors).
    case unsupportedDType(file: String, name: String, dtype: DType, format: String)
    /// The name is reserved by the format (`__metadata__` in safetensors).
    case reservedName(file: String, name: String)
    /// A negative extent, or a shape whose byte size (alone or summed with the
    /// tensors before it) does not fit in `Int`.
    case invalidShape(file: String, name: String, shape: [Int])
    /// The safetensors header would exceed the format's cap (100 MB); sharding
    /// the output splits it.
    case headerTooLarge(file: String, bytes: Int, limit: Int)
    /// A tensor's producer returned a different number of bytes than its shape needs.
    case sizeMismatch(file: String, name: String, expected: Int, produced: Int)
    /// A system call or libzip failed; `reason` says which and why.
    case io(file: String, reason: String)

    /// Whether the request itself cannot be written (names, dtypes, shapes),
    /// as opposed to the file system or a tensor's producer failing.
    public var isInvalidRequest: Bool {
        switch self {
        case .duplicateName, .unsupportedDType, .reservedName, .invalidShape, .headerTooLarge: return true
        case .sizeMismatch, .io: return false
        }
    }
}

extension WriteError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case let .duplicateName(file, name): return "\(file): two tensors are named '\(name)'"
        case let .unsupportedDType(file, name, dtype, format): return "\(file): tensor '\(name)' has dtype \(dtype.rawValue), which \(format) files cannot hold"
        case let .reservedName(file, name): return "\(file): a tensor may not be named '\(name)': the format reserves the name"
        case let .invalidShape(file, name, shape): return "\(file): tensor '\(name)' has shape \(shape), whose size is negative or does not fit in memory"
        case let .headerTooLarge(file, bytes, limit): return "\(file): the header would be \(bytes) bytes, over the format's limit of \(limit); shard the output"
        case let .sizeMismatch(file, name, expected, produced): return "\(file): tensor '\(name)' produced \(produced) bytes; expected \(expected)"
        case let .io(file, reason): return "\(file): \(reason)"
        }
    }
}
