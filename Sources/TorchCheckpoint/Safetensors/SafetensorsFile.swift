import Foundation

/// A Hugging Face safetensors file, read without Python.
///
/// The format is an 8-byte little-endian header length `N`, `N` bytes of UTF-8
/// JSON mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin,
/// end]}` (offsets relative to the data section, which follows the header),
/// and an optional `"__metadata__"` string-to-string map. Elements are
/// little-endian and row-major.
///
/// Opening maps the file and validates the whole header before anything is
/// returned: the header length against the file and the format's 100 MB cap,
/// strict JSON (duplicate keys are refused, since readers disagree on which
/// one wins), every field's type, each shape's byte size against its offsets
/// (checked arithmetic), and that the ranges tile the data section with no
/// overlap, hole or trailing bytes, as the reference implementation requires.
/// Unknown extra fields in an entry are ignored, as the reference
/// implementation does. Weight data stays in the memory map; reading a tensor
/// copies only its own bytes.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: "model.safetensors"))
/// for tensor in file.tensors { print(tensor.name, tensor.dtype, tensor.shape) }
/// let w = try file.floatTensor("rnn.weight_ih_l0")   // contiguous Float32
/// ```
public final class SafetensorsFile: TensorStore, Sendable {
    /// The path the file was read from, as given.
    public let path: String
    /// Every tensor in data-offset order (the order of the bytes in the file).
    /// Each is contiguous: row-major strides, storage offset 0, `storageKey`
    /// equal to its name, location `"cpu"`.
    public let tensors: [StoredTensor]
    /// The header's `"__metadata__"` map (empty when the file has none).
    public let metadata: [String: String]
    /// Byte offset of the data section in the file: 8 plus the header length.
    public let dataSectionOffset: Int

    /// The largest header the format allows (and this reader accepts), in bytes.
    public static let maxHeaderBytes = SafetensorsHeader.maxHeaderBytes

    let file: MappedFile
    /// Absolute byte range of each tensor in the file, by name.
    let ranges: [String: Range<Int>]
    private let byName: [String: Int]

    /// Opens and validates the file at `url`.
    public convenience init(contentsOf url: URL, limits: ReadLimits = .default) throws {
        try self.init(path: url.path, limits: limits)
    }

    /// Opens and validates the file at `path`.
    /// - Parameters:
    ///   - path: a `.safetensors` file.
    ///   - limits: `maxDepth` bounds the nesting of the header's JSON
    ///     (never deeper than 128, serde_json's limit, which the reference implementation applies).
    /// - Throws: `CheckpointError` naming the file (and the tensor, when one is
    ///   at fault): `.unreadable`, `.malformedSafetensors`,
    ///   `.malformedSafetensorsEntry`, `.unknownSafetensorsDType` or
    ///   `.limitExceeded`.
    public init(path: String, limits: ReadLimits = .default) throws {
        let file = try MappedFile(path: path)
        let header = try SafetensorsHeader.parse(file.bytes, path: path, limits: limits)
        self.path = path
        self.file = file
        metadata = header.metadata
        dataSectionOffset = header.dataOffset
        var tensors: [StoredTensor] = []
        var ranges: [String: Range<Int>] = [:]
        var byName: [String: Int] = [:]
        tensors.reserveCapacity(header.entries.count)
        for entry in header.entries {
            byName[entry.name] = tensors.count
            tensors.append(StoredTensor(name: entry.name, dtype: entry.dtype, shape: entry.shape, strides: entry.strides,
                                        storageOffset: 0, storageKey: entry.name, location: "cpu", rootOffset: 0))
            // Cannot overflow: both ends were checked to lie inside the file.
            ranges[entry.name] = (header.dataOffset + entry.begin)..<(header.dataOffset + entry.end)
        }
        self.tensors = tensors
        self.ranges = ranges
        self.byName = byName
    }

    /// The tensor of that name, or nil.
    public func tensor(named name: String) -> StoredTensor? {
        byName[name].map { tensors[$0] }
    }

    /// A copy of the tensor's bytes from the memory map, byte-swapped to host
    /// order on a big-endian machine (the file is little-endian).
    public func releaseResidentMemory(of tensor: StoredTensor) {
        if let range = ranges[tensor.name] { file.releasePages(range) }
    }

    public func hostOrderBytes(of tensor: StoredTensor) throws -> [UInt8] {
        guard let index = byName[tensor.name], let range = ranges[tensor.name] else {
            throw CheckpointError.noSuchTensor(file: path, name: tensor.name)
        }
        guard tensors[index] == tensor else {
            throw CheckpointError.invalidTensor(file: path, name: tensor.name, reason: "the descriptor does not come from this file")
        }
        var out = Array(UnsafeRawBufferPointer(rebasing: file.bytes[range]))
        if ElementConversion.hostIsBigEndian { ElementConversion.swapBytes(&out, unit: tensor.dtype.swapUnit) }
        return out
    }
}
