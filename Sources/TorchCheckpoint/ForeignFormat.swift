import Foundation

/// Files that are not `torch.save` checkpoints but that people try to open as
/// one, recognised by their magic bytes (or layout) so the refusal says what
/// the file is instead of what it lacks.
public enum ForeignFormat: String, Sendable, Equatable, CaseIterable {
    /// `numpy.savez`: a zip of `.npy` arrays.
    case npz
    /// `numpy.save`: `\x93NUMPY`.
    case npy
    /// An ONNX `ModelProto` (protobuf: `ir_version`, then the model's fields).
    case onnx
    /// HDF5 (`\x89HDF\r\n\x1a\n`), which Keras `.h5` files are.
    case hdf5
    /// A Keras 3 `.keras` archive (zip with `config.json` and `model.weights.h5`).
    case keras
    /// GGUF (`GGUF`), llama.cpp's format.
    case gguf
    /// A pickle that is not a torch.save stream (no torch magic number).
    case pickle
    /// A TensorFlow SavedModel (`saved_model.pb`, or its directory).
    case savedModel

    /// What the file is, in words.
    public var description: String {
        switch self {
        case .npz: return "a numpy .npz archive"
        case .npy: return "a numpy .npy array"
        case .onnx: return "an ONNX model"
        case .hdf5: return "an HDF5 file (Keras .h5 weights or similar)"
        case .keras: return "a Keras .keras archive"
        case .gguf: return "a GGUF file"
        case .pickle: return "a plain Python pickle without torch.save's magic number"
        case .savedModel: return "a TensorFlow SavedModel"
        }
    }

    /// The format of a file whose first bytes are `head`, or nil. `head` needs
    /// no more than the file's first few bytes; nothing here parses further.
    static func sniff(_ head: UnsafeRawBufferPointer, path: String) -> ForeignFormat? {
        func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && zip(head[offset...], magic).allSatisfy { $0 == $1 }
        }
        if starts(with: Array("GGUF".utf8)) { return .gguf }
        if starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        // HDF5's superblock is at 0, or at 512, 1024, 2048, ... after a user block.
        let hdf5: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        if [0, 512, 1024, 2048].contains(where: { starts(with: hdf5, at: $0) }) { return .hdf5 }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) {
            // PROTO then anything but the legacy magic's LONG1 of 10 bytes
            // (a wrong magic number of that shape is a damaged torch file).
            let legacyShaped = head.count >= 4 && head[2] == 0x8A && head[3] == 10
            return legacyShaped ? nil : .pickle
        }
        if URL(fileURLWithPath: path).lastPathComponent == "saved_model.pb" { return .savedModel }
        // Protobuf field 1 as a varint (tag 0x08): SavedModel's schema version
        // is 1 followed by meta_graphs (field 2); ONNX's ir_version is 3 or
        // more, followed by one of ModelProto's fields 2 to 8.
        if head.count >= 3, head[0] == 0x08 {
            if head[1] == 1, head[2] == 0x12 { return .savedModel }
            if (3...20).contains(head[1]), [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42].contains(head[2]) { return .onnx }
        }
        return nil
    }

    /// The format of a zip archive with no torch `data.pkl`, from its entry names.
    static func sniffZip(entryNames: [String]) -> ForeignFormat? {
        if !entryNames.isEmpty, entryNames.allSatisfy({ $0.hasSuffix(".npy") }) { return .npz }
        if entryNames.contains("config.json"), entryNames.contains(where: { $0.hasSuffix(".weights.h5") }) { return .keras }
        return nil
    }

    /// A directory that is a SavedModel.
    static func sniffDirectory(_ path: String) -> ForeignFormat? {
        FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("saved_model.pb")) ? .savedModel : nil
    }
}
