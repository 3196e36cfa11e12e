import Foundation
import Testing
import TorchCheckpoint

/// Shard boundaries, names and the index, as Hugging Face lays them out.
@Suite("Sharded output")
struct ShardedWriterTests {
    @Test("consecutive groups of at most the limit; a larger tensor alone")
    func ranges() {
        #expect(ShardedWriter.shardRanges(byteCounts: [100, 100, 100], maxShardBytes: nil) == [0..<3])
        #expect(ShardedWriter.shardRanges(byteCounts: [100, 100, 100], maxShardBytes: 200) == [0..<2, 2..<3])
        #expect(ShardedWriter.shardRanges(byteCounts: [50, 500, 50, 50], maxShardBytes: 100) == [0..<1, 1..<2, 2..<4])
        #expect(ShardedWriter.shardRanges(byteCounts: [0, 0, 10], maxShardBytes: 1) == [0..<2, 2..<3])
        #expect(ShardedWriter.shardRanges(byteCounts: [], maxShardBytes: 1) == [0..<0])
        // Sizes whose sum overflows: a new shard, not a trap.
        #expect(ShardedWriter.shardRanges(byteCounts: [Int.max / 2 + 1, Int.max / 2 + 1], maxShardBytes: .max) == [0..<1, 1..<2])
    }

    @Test("shard names and index path")
    func names() {
        #expect(ShardedWriter.shardPaths(for: "/out/model.safetensors", shardCount: 1) == ["/out/model.safetensors"])
        #expect(ShardedWriter.shardPaths(for: "/out/model.safetensors", shardCount: 2)
                == ["/out/model-00001-of-00002.safetensors", "/out/model-00002-of-00002.safetensors"])
        #expect(ShardedWriter.indexPath(for: "/out/pytorch_model.bin") == "/out/pytorch_model.bin.index.json")
        #expect(TensorFileFormat(path: "a/b.PTH") == .pt)
        #expect(TensorFileFormat(path: "a.safetensors") == .safetensors)
        #expect(TensorFileFormat(path: "a.onnx") == nil)
    }

    @Test("the index is JSON with the total size and every name, escaped")
    func index() throws {
        let text = ShardedWriter.indexJSON(names: [["a", "q\"uote"], ["b\n"]], shardPaths: ["/x/m-1.safetensors", "/x/m-2.safetensors"], totalBytes: 42)
        #expect(text == #"{"metadata": {"total_size": 42}, "weight_map": {"a": "m-1.safetensors", "q\"uote": "m-1.safetensors", "b\n": "m-2.safetensors"}}"# + "\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((parsed?["weight_map"] as? [String: String])?["b\n"] == "m-2.safetensors")
    }
}
