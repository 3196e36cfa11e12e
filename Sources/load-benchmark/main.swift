// load-benchmark: opens a checkpoint and reads every element, as an app
// loading weights does; tools/bench_load.sh runs it beside torch.load(mmap=True)
// and safetensors.torch.load_file on the same file.
//
//   swift build -c release --scratch-path .build-bench --product load-benchmark
//   .build-bench/release/load-benchmark FILE [--copy] [--trust-crc]
//
// Prints one JSON line: {"tool": "swift", "file": ..., "seconds": ..., "tensors": N,
// "bytes": N, "checksum": ...}. Seconds cover opening the file and reading every
// element (summed as Float32 for float32 tensors, as bytes otherwise), not
// process start-up. Each tensor is summed on every core, as torch's `t.sum()`
// does with `torch.set_num_threads(nproc)` on the other side. --copy reads
// through `contiguousBytes` (a copy per tensor) instead of in place; --trust-crc
// skips the CRC-32 check of stored records (ReadOptions.verifiesStoredChecksums
// false), which torch.load never does.

import Foundation
import TorchCheckpoint

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first(where: { !$0.hasPrefix("--") }) else {
    FileHandle.standardError.write(Data("usage: load-benchmark FILE [--copy] [--trust-crc]\n".utf8))
    exit(64)
}
let copying = arguments.contains("--copy")
let options = ReadOptions(verifiesStoredChecksums: !arguments.contains("--trust-crc"))
let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Sum of Float32 elements in 16 independent lanes, so the loop vectorises.
func sumFloats(_ raw: UnsafeRawBufferPointer) -> Double {
    let count = raw.count / 4
    var lanes = SIMD16<Float>()
    var index = 0
    if let base = raw.baseAddress {
        while index + 16 <= count {
            lanes += base.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            index += 16
        }
    }
    var total = Double(lanes.sum())
    while index < count {
        total += Double(raw.loadUnaligned(fromByteOffset: index * 4, as: Float.self))
        index += 1
    }
    return total
}

func sumBytes(_ raw: UnsafeRawBufferPointer) -> Double {
    var total: UInt64 = 0
    for byte in raw { total &+= UInt64(byte) }
    return Double(total)
}

/// `sum` over `cores` slices of `raw` at once (slices on 64-byte boundaries), added up.
func sumOnAllCores(_ raw: UnsafeRawBufferPointer, _ sum: @escaping @Sendable (UnsafeRawBufferPointer) -> Double) -> Double {
    let slice = (raw.count / cores + 63) & ~63
    guard cores > 1, slice > 0 else { return sum(raw) }
    let work = SliceSums(raw: raw, parts: .allocate(capacity: cores))
    work.parts.initialize(repeating: 0)
    defer { work.parts.deallocate() }
    DispatchQueue.concurrentPerform(iterations: cores) { index in
        let start = min(index * slice, work.raw.count), end = min(start + slice, work.raw.count)
        work.parts[index] = sum(UnsafeRawBufferPointer(rebasing: work.raw[start..<end]))
    }
    return work.parts.reduce(0, +)
}

/// The bytes and per-slice sums of one `sumOnAllCores` call, shared by its threads for
/// the duration of the call; each thread writes only its own element.
struct SliceSums: @unchecked Sendable {
    let raw: UnsafeRawBufferPointer
    let parts: UnsafeMutableBufferPointer<Double>
}

let start = DispatchTime.now().uptimeNanoseconds
var checksum = 0.0
var bytes = 0
let store: any TensorStore
do {
    store = try TensorFile.open(path, options: options)
    for tensor in store.tensors {
        let isFloat = tensor.dtype == .float32
        func read(_ raw: UnsafeRawBufferPointer) -> Double { sumOnAllCores(raw, isFloat ? sumFloats : sumBytes) }
        if copying {
            let copy = try store.contiguousBytes(tensor.name)
            checksum += copy.withUnsafeBytes { read($0) }
        } else {
            checksum += try store.withContiguousBytes(tensor.name) { read($0) }
        }
        bytes += tensor.byteCount
    }
} catch {
    FileHandle.standardError.write(Data("load-benchmark: \(error)\n".utf8))
    exit(2)
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print("{\"tool\": \"swift\(copying ? "-copy" : "")\(options.verifiesStoredChecksums ? "" : "-trust-crc")\", \"file\": \"\(path)\", \"seconds\": \(seconds), \"tensors\": \(store.tensors.count), \"bytes\": \(bytes), \"checksum\": \(checksum)}")
