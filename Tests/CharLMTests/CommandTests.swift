import Foundation
import Testing
@testable import charlm

/// The `charlm` executable: output, flags, refusals and exit codes.
@Suite("charlm command")
struct CommandTests {
    @Test("greedy generation prints the prompt and torch's continuation", arguments: CharLMFixture.generations.prompts)
    func greedyOutput(_ golden: CharLMFixture.Generation) throws {
        let run = try Binaries.run("charlm", [CharLMFixture.modelPath, "--prompt", golden.prompt])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == golden.prompt + golden.continuation + "\n")
        #expect(run.stderr.isEmpty)
    }

    @Test("--length chooses how many characters follow the prompt")
    func length() throws {
        let golden = CharLMFixture.generations.prompts[0]
        let run = try Binaries.run("charlm", [CharLMFixture.modelPath, "--prompt", golden.prompt, "--length", "25"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == golden.prompt + String(golden.continuation.unicodeScalars.prefix(25)) + "\n")
    }

    @Test("sampling with a seed repeats itself and differs from greedy")
    func seededSampling() throws {
        let arguments = [CharLMFixture.modelPath, "--prompt", "The ", "--temperature", "1.0", "--seed", "7", "--length", "200"]
        let first = try Binaries.run("charlm", arguments)
        let second = try Binaries.run("charlm", arguments)
        let other = try Binaries.run("charlm", Array(arguments.dropLast(3)) + ["8", "--length", "200"])
        #expect(first.status == 0 && second.status == 0 && other.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout != other.stdout)
        #expect(first.stdout.hasPrefix("The "))
        #expect(first.stdout.unicodeScalars.count == 4 + 200 + 1)
        let vocabulary = try CharLMFixture.vocabulary()
        #expect(throws: Never.self) { try vocabulary.encode(String(first.stdout.dropLast())) }
    }

    @Test("sampling without a seed prints the seed it drew, and that seed reproduces the run")
    func printedSeed() throws {
        let arguments = [CharLMFixture.modelPath, "--temperature", "0.8", "--length", "60"]
        let run = try Binaries.run("charlm", arguments)
        #expect(run.status == 0)
        let seed = try #require(run.stderr.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(run.stderr.hasPrefix("charlm: --seed "))
        let again = try Binaries.run("charlm", arguments + ["--seed", seed])
        #expect(again.stdout == run.stdout)
    }

    @Test("bad flag values are usage errors (exit 64), never a crash", arguments: [
        ["--temperature", "0"], ["--temperature", "-1"], ["--temperature", "nan"], ["--temperature", "inf"],
        ["--temperature", "x"], ["--seed", "3"], ["--seed", "-1", "--temperature", "1"], ["--length", "-1"],
        ["--length", "1000001"], ["--length", "99999999999999999999"], ["--prompt", ""],
    ])
    func usageErrors(_ flags: [String]) throws {
        let run = try Binaries.run("charlm", [CharLMFixture.modelPath] + flags)
        #expect(run.status == 64, "\(flags): \(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(!run.stderr.isEmpty)
    }

    @Test("tiny and huge temperatures sample without NaN", arguments: ["1e-300", "1e300"])
    func extremeTemperatures(_ temperature: String) throws {
        let run = try Binaries.run("charlm", [CharLMFixture.modelPath, "--temperature", temperature, "--seed", "1", "--length", "40"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.unicodeScalars.count == 4 + 40 + 1)
    }

    @Test("a prompt character outside the vocabulary is named (exit 64)")
    func unknownCharacter() throws {
        let run = try Binaries.run("charlm", [CharLMFixture.modelPath, "--prompt", "The ~ cat"])
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("character \"~\" at position 4 is not in the model's vocabulary of"), "\(run.stderr)")
    }

    @Test("an unreadable model or vocabulary is one line on stderr and exit 2")
    func unreadable() throws {
        let missing = try Binaries.run("charlm", ["/nonexistent/model.pt", "--vocab", CharLMFixture.vocabPath])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("charlm: /nonexistent/model.pt: "))
        let noVocab = try Binaries.run("charlm", [CharLMFixture.modelPath, "--vocab", "/nonexistent/vocab.json"])
        #expect(noVocab.status == 2)
        #expect(noVocab.stderr.contains("/nonexistent/vocab.json: not a vocabulary"))
        // A checkpoint whose keys are not an Embedding → LSTM → Linear model.
        let other = CharLMFixture.root.appendingPathComponent("fixtures/golden/lstm/model.pt").path
        let wrong = try Binaries.run("charlm", [other, "--vocab", CharLMFixture.vocabPath])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("missing weight 'embed.weight'"), "\(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").count == 1)
    }
}
