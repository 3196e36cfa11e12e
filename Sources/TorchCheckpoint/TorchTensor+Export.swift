// The tensor types (FloatTensor, IntegerTensor, DType, TensorSource, ...) moved
// to TorchTensor; re-exported so `import TorchCheckpoint` keeps providing them.
@_exported import TorchTensor
