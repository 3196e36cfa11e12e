// libFuzzer entry point for the checkpoint reader. Compiled together with
// every file of Sources/TorchCheckpoint into one module by build.sh, so it can
// use internal API (ReadLimits fields, the checkpoint's tensors).
//
// Each input is written to a per-process temp file and opened exactly as a
// user would open it (`Checkpoint(path:limits:options:)`, in both the default
// and the placeholder pickle mode): the reader sniffs zip vs.
// legacy itself (and, when Sources/TorchCheckpoint/Safetensors exists, as a
// safetensors file too). When the file opens, every tensor is materialised through
// every conversion that applies to its dtype. The harness enforces the
// library's contract on top of what ASan/libFuzzer catch (crashes, leaks of
// bounds, timeouts, RSS):
//   - only `CheckpointError` may be thrown (anything else aborts);
//   - a materialised tensor has exactly `byteCount` bytes / `elementCount`
//     values (a wrong-sized result would be a quiet wrong value).
import Foundation

private let inputPath: String = {
    let directory = ProcessInfo.processInfo.environment["PTFUZZ_TMPDIR"]
        ?? (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    return (directory as NSString).appendingPathComponent("ptfuzz-input-\(getpid()).pt")
}()

/// Limits small enough that a legitimate-but-huge claim is refused well below
/// libFuzzer's -rss_limit_mb / -malloc_limit_mb (2048 MB): what the fuzzer
/// then reports is an allocation the limits do not govern. (A tensor is
/// materialised several times over — bytes, floats, doubles — and ASan keeps
/// freed memory in quarantine, so 16 MB per tensor stays far from 2 GB.)
private let fuzzLimits: ReadLimits = {
    var limits = ReadLimits()
    limits.maxPickleBytes = 1 << 20
    limits.maxOpcodes = 2_000_000
    limits.maxMemoEntries = 100_000
    limits.maxVisitedNodes = 200_000
    limits.maxInflatedEntryBytes = 16 << 20
    limits.maxTensorBytes = 16 << 20
    limits.maxExpansionBytes = 16 << 20
    return limits
}()

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("ptfuzz invariant violated: \(message())\n".utf8))
        abort()
    }
}

/// Materialises every tensor of a store through every conversion its dtype allows.
private func materialise(_ store: some TensorStore) {
    for tensor in store.tensors {
        check(store.tensor(named: tensor.name) != nil, "tensor '\(tensor.name)' is listed but not found by name")
        do {
            let bytes = try store.contiguousBytes(tensor.name)
            check(bytes.count == tensor.byteCount, "'\(tensor.name)': \(bytes.count) bytes, byteCount \(tensor.byteCount)")
        } catch is CheckpointError {
        } catch {
            check(false, "untyped error \(type(of: error)): \(error)")
        }
        do {
            if tensor.dtype.isFloatingPoint {
                let floats = try store.floatTensor(tensor.name)
                check(floats.scalars.count == tensor.elementCount, "'\(tensor.name)': \(floats.scalars.count) floats, \(tensor.elementCount) elements")
                check(floats.shape == tensor.shape, "'\(tensor.name)': float shape differs")
                let doubles = try store.doubles(tensor.name)
                check(doubles.count == tensor.elementCount, "'\(tensor.name)': \(doubles.count) doubles")
            }
            if tensor.dtype.isInteger {
                let ints = try store.integerTensor(tensor.name)
                check(ints.values.count == tensor.elementCount, "'\(tensor.name)': \(ints.values.count) integers, \(tensor.elementCount) elements")
            }
            if tensor.dtype.isComplex {
                let parts = try store.complexParts(tensor.name)
                check(parts.count == 2 * tensor.elementCount, "'\(tensor.name)': \(parts.count) complex parts")
            }
        } catch is CheckpointError {
        } catch {
            check(false, "untyped error \(type(of: error)): \(error)")
        }
    }
}

private func exercise(_ path: String, limits: ReadLimits) {
    // Both pickle modes: refusing unknown globals (the default), and building
    // inert placeholders for them (full-model pickles, TorchScript archives,
    // with their constants).
    for options in [ReadOptions(), ReadOptions(unknownGlobals: .placeholder, torchScriptConstants: true)] {
        do {
            let checkpoint = try Checkpoint(path: path, limits: limits, options: options)
            materialise(checkpoint)
            _ = checkpoint.values.map(\.value.description)
        } catch is CheckpointError {
            // The contract: a typed error.
        } catch {
            check(false, "untyped error \(type(of: error)): \(error)")
        }
    }
    #if PTFUZZ_SAFETENSORS
    do {
        materialise(try SafetensorsFile(path: path, limits: limits))
    } catch is CheckpointError {
    } catch {
        check(false, "untyped error \(type(of: error)): \(error)")
    }
    #endif
}

@_cdecl("LLVMFuzzerTestOneInput")
public func ptfuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    var written = 0
    while written < size {
        let n = write(fd, data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fd)
    exercise(inputPath, limits: fuzzLimits)
    return 0
}
