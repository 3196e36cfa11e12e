/// torch's legacy typed-storage classes (`torch.FloatStorage`, ...): the one
/// table the pickle reader (which honours them) and the `.pt` writer (which
/// pickles them) share.
extension DType {
    /// Each dtype that has a legacy storage class, with the class's name.
    static let legacyStorageClasses: [(dtype: DType, name: String)] = [
        (.float32, "FloatStorage"), (.float64, "DoubleStorage"), (.float16, "HalfStorage"), (.bfloat16, "BFloat16Storage"),
        (.int64, "LongStorage"), (.int32, "IntStorage"), (.int16, "ShortStorage"), (.int8, "CharStorage"),
        (.uint8, "ByteStorage"), (.bool, "BoolStorage"), (.complex64, "ComplexFloatStorage"), (.complex128, "ComplexDoubleStorage"),
    ]

    private static let byLegacyStorageClass = Dictionary(uniqueKeysWithValues: legacyStorageClasses.map { ($0.name, $0.dtype) })

    /// The dtype of a legacy storage class (`"FloatStorage"` → float32), or nil.
    init?(legacyStorageClass name: String) {
        guard let dtype = Self.byLegacyStorageClass[name] else { return nil }
        self = dtype
    }

    /// The legacy storage class torch pickles for this dtype, or nil when torch
    /// saves it as `UntypedStorage` (the dtypes added after the typed storages).
    var legacyStorageClass: String? {
        Self.legacyStorageClasses.first { $0.dtype == self }?.name
    }
}
