// The tensor types (FloatTensor, IntegerTensor, TensorSource, ...) and their
// operations live in TorchTensor; re-exported so `import TorchNN` is enough.
@_exported import TorchTensor
