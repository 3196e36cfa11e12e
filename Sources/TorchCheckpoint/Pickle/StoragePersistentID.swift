/// A storage reference as torch.save pickles it, by persistent id:
/// `('storage', storage_type, key, location, numel)` in zip checkpoints, with a sixth
/// part (view metadata, or None) in legacy files. Both parsers read it here, and check
/// a second reference to the same storage here.
struct StoragePersistentID {
    /// nil for `torch.storage.UntypedStorage` (bytes; the tensor's rebuild gives the dtype).
    let dtype: DType?
    let key: String
    /// Where the storage was saved from (`cpu`, `cuda:0`, ...); `cpu` when not a string.
    let location: String
    /// Elements of `dtype`, or bytes when untyped.
    let count: Int
    /// The parts past numel (legacy: the view metadata).
    let rest: [PickleValue]

    /// Parses `id`, which must have `parts` parts; `shape` describes them for the error.
    /// - Throws: ``CheckpointError/unsupportedTensorKind(file:global:kind:offset:)`` for a
    ///   quantised or sparse storage class, else ``CheckpointError/corruptPickle(file:offset:reason:)``.
    init(_ id: PickleValue, parts expected: Int, shape: String, file: String, offset: Int) throws {
        if case let .tuple(parts) = id, parts.count > 1, case let .global(.unsupportedTensor(name, kind)) = parts[1] {
            throw CheckpointError.unsupportedTensorKind(file: file, global: name, kind: kind, offset: offset)
        }
        guard case let .tuple(parts) = id, parts.count == expected, case .string("storage") = parts[0],
              case let .global(.storageClass(dtype)) = parts[1], case let .string(key) = parts[2],
              case let .int(count) = parts[4], count >= 0 else {
            throw CheckpointError.corruptPickle(file: file, offset: offset, reason: "persistent id is not \(shape)")
        }
        self.dtype = dtype
        self.key = key
        self.count = count
        if case let .string(text) = parts[3] { location = text } else { location = "cpu" }
        rest = Array(parts.dropFirst(5))
    }

    /// Checks that this reference agrees with an earlier one to the same storage:
    /// torch never writes one storage as two dtypes or sizes, and which to believe
    /// would be a guess.
    func checkAgrees(withDType knownDType: DType?, count knownCount: Int, storage name: String, file: String) throws {
        guard knownDType == dtype, knownCount == count else {
            throw CheckpointError.invalidTensor(file: file, name: "storage \(name)",
                reason: "referenced as \(knownCount) \(knownDType?.rawValue ?? "bytes") and as \(count) \(dtype?.rawValue ?? "bytes")")
        }
    }
}
