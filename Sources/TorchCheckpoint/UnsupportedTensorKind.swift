/// Tensors `torch.load(weights_only=True)` can build that this reader cannot
/// represent as a strided view of plain elements. Files holding them are
/// refused with ``CheckpointError/unsupportedTensorKind(file:global:kind:offset:)``
/// instead of being read as something else.
public enum UnsupportedTensorKind: String, Sendable, Equatable {
    /// Quantized tensors (`_rebuild_qtensor`, `torch.QInt8Storage`, `torch.qint8`, ...):
    /// their integers mean nothing without the scale and zero point.
    case quantized
    /// Sparse tensors (`_rebuild_sparse_tensor`, `torch.sparse.*Tensor`).
    case sparse
    /// Meta tensors, saved without data (`_rebuild_meta_tensor_no_storage`).
    case meta
    /// Tensor subclasses saved without storage (`_rebuild_wrapper_subclass`).
    case wrapperSubclass
    /// Device tensors rebuilt from a numpy array (`_rebuild_device_tensor_from_numpy`).
    case numpyArray
    /// `torch.storage.TypedStorage` named as a storage type, which torch itself cannot load.
    case typedStorageClass
    /// A dtype without a byte layout (`torch.int4`, `torch.uint3`, ...) or a quantized dtype.
    case dtypeWithoutLayout

    /// What the kind is, in words, for messages.
    public var description: String {
        switch self {
        case .quantized: return "a quantized tensor"
        case .sparse: return "a sparse tensor"
        case .meta: return "a meta tensor (saved without data)"
        case .wrapperSubclass: return "a tensor subclass saved without storage"
        case .numpyArray: return "a tensor rebuilt from a numpy array"
        case .typedStorageClass: return "torch.storage.TypedStorage as a storage type (torch.load cannot read it either)"
        case .dtypeWithoutLayout: return "a tensor of a sub-byte or quantized dtype"
        }
    }
}
