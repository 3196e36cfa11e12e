import Foundation
import Testing
import TorchCheckpoint
import TorchNN
import TorchTensor
@testable import charlm

@Suite("charlm: vocabulary, model assembly, sampling")
struct ModelAndVocabularyTests {
    private func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charlm-vocab-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test("the bundled vocabulary round-trips the prompts")
    func bundled() throws {
        let vocabulary = try CharLMFixture.vocabulary()
        #expect(vocabulary.count == 83)
        let indices = try vocabulary.encode("LAWYER, n.  ")
        #expect(String(String.UnicodeScalarView(indices.map(vocabulary.character))) == "LAWYER, n.  ")
    }

    @Test("malformed vocabularies are typed errors naming the file")
    func malformed() throws {
        let notJSON = try write("characters")
        #expect(throws: CharLMError.malformedVocabulary(file: notJSON, reason: "not JSON")) { try Vocabulary(contentsOf: notJSON) }
        let noKey = try write("{\"chars\": []}")
        #expect(throws: CharLMError.malformedVocabulary(file: noKey, reason: "no \"characters\" key")) { try Vocabulary(contentsOf: noKey) }
        let numbers = try write("{\"characters\": [1, 2]}")
        #expect(throws: CharLMError.malformedVocabulary(file: numbers, reason: "\"characters\" is not an array of strings")) {
            try Vocabulary(contentsOf: numbers)
        }
        let empty = try write("{\"characters\": []}")
        #expect(throws: CharLMError.malformedVocabulary(file: empty, reason: "\"characters\" is empty")) { try Vocabulary(contentsOf: empty) }
        let long = try write("{\"characters\": [\"a\", \"bc\"]}")
        #expect(throws: CharLMError.vocabularyEntryNotOneCharacter(file: long, index: 1, entry: "bc")) { try Vocabulary(contentsOf: long) }
        let duplicate = try write("{\"characters\": [\"a\", \"b\", \"a\"]}")
        #expect(throws: CharLMError.duplicateVocabularyEntry(file: duplicate, character: "a", first: 0, second: 2)) {
            try Vocabulary(contentsOf: duplicate)
        }
    }

    @Test("unknown characters are named with their position")
    func unknown() throws {
        let vocabulary = try Vocabulary(characters: ["a", "b"])
        #expect(throws: CharLMError.unknownCharacter(character: "é", position: 2, vocabularySize: 2)) { try vocabulary.encode("abéa") }
    }

    @Test("a vocabulary of another size than the model's is refused")
    func sizeMismatch() throws {
        let store = try TensorFile.open(CharLMFixture.modelPath)
        #expect(throws: CharLMError.sizeMismatch(what: "embedding rows (embed.weight) vs. vocabulary size", expected: 82, found: 83)) {
            try CharacterModel(loading: store, vocabularySize: 82)
        }
    }

    @Test("layers that do not fit together are refused")
    func layersMismatch() throws {
        let store = try TensorFile.open(CharLMFixture.modelPath)
        var dictionary = TensorDictionary()
        for name in store.tensorNames(withPrefix: "") where !name.hasPrefix("head.") {
            dictionary[name] = try store.floatTensor(name)
        }
        let head = try Linear(inputFeatures: 128, outputFeatures: 83, seed: 1).stateDictionary(prefix: "head.")
        for name in head.tensorNames { dictionary[name] = head[name] }
        #expect(throws: CharLMError.sizeMismatch(what: "head input features vs. LSTM output size", expected: 256, found: 128)) {
            try CharacterModel(loading: dictionary, vocabularySize: 83)
        }
    }

    @Test("greedy takes the first of equal logits, as torch.argmax does")
    func greedyTies() throws {
        var sampling = Sampling.greedy
        #expect(try sampling.choose(from: [0, 2, 1, 2], step: 0) == 1)
    }

    @Test("non-finite logits are an error, not a character")
    func nonFinite() throws {
        var sampling = Sampling.temperature(1, SeededGenerator(seed: 1))
        #expect(throws: CharLMError.nonFiniteLogits(step: 3)) { try sampling.choose(from: [0, .nan], step: 3) }
        var greedy = Sampling.greedy
        #expect(throws: CharLMError.nonFiniteLogits(step: 0)) { try greedy.choose(from: [.infinity, 0], step: 0) }
    }

    @Test("sampling follows softmax(logits / T)")
    func distribution() throws {
        var sampling = Sampling.temperature(1, SeededGenerator(seed: 42))
        let logits: [Float] = [log(1), log(3)]  // probabilities 1/4, 3/4
        var counts = [0, 0]
        for step in 0..<4000 { counts[try sampling.choose(from: logits, step: step)] += 1 }
        // Binomial(4000, 3/4): standard deviation about 27; 6 sigma is 164.
        #expect(abs(counts[1] - 3000) < 164, "\(counts)")
    }
}
