/// The globals a checkpoint's pickle may name: the same kind of allowlist as
/// `torch.load(weights_only=True)`. Each maps to a fixed rebuild rule; any
/// other `module.name` is refused with `CheckpointError.forbiddenGlobal`
/// before anything else happens. Nothing is ever imported or called.
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensorV3
    case rebuildParameter
    case rebuildParameterWithState
    case rebuildFromTypeV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)`, before v2.
    case rebuildTensorV1
    /// `torch._utils._rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad)`:
    /// the CPU tensor is the data.
    case rebuildDeviceTensorFromCPUTensor
    /// An allowlisted global that builds a tensor this reader cannot represent
    /// (quantized, sparse, meta, ...): refused with `unsupportedTensorKind` when used.
    case unsupportedTensor(global: String, kind: UnsupportedTensorKind)
    /// `collections.Counter`: a dict, pickled as `Counter(dict)`.
    case counter
    /// A dtype with no storage layout here (`torch.int4`, `torch.qint8`, ...):
    /// a value, refused as a tensor's dtype.
    case dtypeWithoutLayout(String)
    /// `torch.per_tensor_affine` and the other quantization schemes (values only).
    case qscheme(String)
    /// A class used only as a marker argument (`torch.nn.parameter.Parameter`, `torch.Tensor`).
    case tensorClass
    /// `torch.FloatStorage` and friends (dtype), or `torch.UntypedStorage` (nil).
    case storageClass(DType?)
    case dtype(DType)
    case torchSize
    case torchDevice
    case codecsEncode
    case builtinSet
    case builtinFrozenset
    case builtinBytearray
    case builtinComplex
    case getLayout
    case layout(String)
    case memoryFormat(String)
    /// TorchScript's pure data helpers (`torch.jit._pickle.build_intlist`, ...,
    /// `restore_type_tag`): they return their first argument. Placeholder mode only.
    case jitPassThrough(String)
    /// A class or function outside the allowlist, in placeholder mode only:
    /// calling or instantiating it builds a `PlaceholderObject`.
    case placeholder(module: String, name: String)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch._tensor", "_rebuild_from_type_v2"): self = .rebuildFromTypeV2
        case ("torch.nn.parameter", "Parameter"), ("torch", "Tensor"), ("torch._tensor", "Tensor"),
             ("torch.nn.parameter", "Buffer"): self = .tensorClass
        case ("torch", "Size"): self = .torchSize
        case ("torch", "device"): self = .torchDevice
        case ("_codecs", "encode"): self = .codecsEncode
        case ("builtins", "set"), ("__builtin__", "set"): self = .builtinSet
        case ("builtins", "frozenset"), ("__builtin__", "frozenset"): self = .builtinFrozenset
        case ("builtins", "bytearray"), ("__builtin__", "bytearray"): self = .builtinBytearray
        case ("builtins", "complex"), ("__builtin__", "complex"): self = .builtinComplex
        case ("torch.serialization", "_get_layout"): self = .getLayout
        case ("torch", "strided"), ("torch", "sparse_coo"), ("torch", "sparse_csr"): self = .layout(name)
        case ("torch", "contiguous_format"), ("torch", "channels_last"), ("torch", "preserve_format"):
            self = .memoryFormat(name)
        case ("torch", "UntypedStorage"), ("torch.storage", "UntypedStorage"): self = .storageClass(nil)
        case ("collections", "Counter"): self = .counter
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensorV1
        case ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor"): self = .rebuildDeviceTensorFromCPUTensor
        case ("torch._utils", _):
            guard let kind = Self.unsupportedRebuilds[name] else { return nil }
            self = .unsupportedTensor(global: "\(module).\(name)", kind: kind)
        case ("torch.storage", "TypedStorage"):
            self = .unsupportedTensor(global: "\(module).\(name)", kind: .typedStorageClass)
        case ("torch.sparse", _), ("torch.cuda.sparse", _):
            guard Self.legacyTensorClasses.contains(name) else { return nil }
            self = .unsupportedTensor(global: "\(module).\(name)", kind: .sparse)
        case ("torch.cuda", _):
            if let dtype = DType(legacyStorageClass: name) {
                self = .storageClass(dtype)
            } else if Self.legacyTensorClasses.contains(name) {
                self = .tensorClass
            } else {
                return nil
            }
        case ("torch", _):
            if let dtype = DType(legacyStorageClass: name) {
                self = .storageClass(dtype)
            } else if let dtype = Self.dtypeNames[name] {
                self = .dtype(dtype)
            } else if Self.legacyTensorClasses.contains(name) {
                self = .tensorClass
            } else if Self.quantizedStorageClasses.contains(name) {
                self = .unsupportedTensor(global: "\(module).\(name)", kind: .quantized)
            } else if Self.dtypesWithoutLayout.contains(name) {
                self = .dtypeWithoutLayout(name)
            } else if name.hasPrefix("per_"), Self.qschemes.contains(name) {
                self = .qscheme(name)
            } else {
                return nil
            }
        default:
            return nil
        }
    }

    /// `torch.FloatTensor` and friends: legacy tensor classes, markers only.
    private static let legacyTensorClasses: Set<String> = [
        "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor",
        "CharTensor", "ByteTensor", "BoolTensor",
    ]

    private static let quantizedStorageClasses: Set<String> = [
        "QInt32Storage", "QInt8Storage", "QUInt2x4Storage", "QUInt4x2Storage", "QUInt8Storage",
    ]

    /// torch 2.15's allowlisted rebuild functions for tensors this reader cannot hold.
    private static let unsupportedRebuilds: [String: UnsupportedTensorKind] = [
        "_rebuild_qtensor": .quantized, "_rebuild_sparse_tensor": .sparse,
        "_rebuild_meta_tensor_no_storage": .meta, "_rebuild_wrapper_subclass": .wrapperSubclass,
        "_rebuild_device_tensor_from_numpy": .numpyArray,
    ]

    /// Allowlisted dtypes whose tensors torch cannot store (sub-byte integers)
    /// or that are quantized.
    private static let dtypesWithoutLayout: Set<String> = Set(
        (1...7).map { "int\($0)" } + (1...7).map { "uint\($0)" } + ["qint8", "quint8", "qint32", "quint4x2", "quint2x4"])

    private static let qschemes: Set<String> = [
        "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
        "per_channel_affine_float_qparams",
    ]

    private static let dtypeNames: [String: DType] = {
        var names: [String: DType] = [:]
        for dtype in DType.allCases { names[dtype.rawValue] = dtype }
        names["float"] = .float32; names["double"] = .float64; names["half"] = .float16
        names["long"] = .int64; names["int"] = .int32; names["short"] = .int16
        names["cfloat"] = .complex64; names["cdouble"] = .complex128; names["chalf"] = .complex32
        return names
    }()
}
