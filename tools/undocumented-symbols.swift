// Lists the public symbols a symbol graph declares in source without a doc
// comment, one "file:line: kind name" line each, and exits 1 when there is any.
// tools/check-docs.sh runs it on the symbol graphs the DocC plugin extracted:
//
//   swift tools/undocumented-symbols.swift .build/*/extracted-symbols/*/TorchNN/*.symbols.json
//
// Symbols without a source location (synthesized `==`, protocol defaults from
// the standard library) are not the package's to document and are skipped.
import Foundation

var undocumented: [String] = []
for path in CommandLine.arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path),
          let graph = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let symbols = graph["symbols"] as? [[String: Any]] else {
        FileHandle.standardError.write(Data("undocumented-symbols: \(path) is not a symbol graph\n".utf8))
        exit(2)
    }
    for symbol in symbols {
        guard let access = symbol["accessLevel"] as? String, access == "public" || access == "open",
              let location = symbol["location"] as? [String: Any],
              let uri = location["uri"] as? String,
              symbol["docComment"] == nil else { continue }
        let line = ((location["position"] as? [String: Any])?["line"] as? Int).map { $0 + 1 } ?? 0
        let kind = (symbol["kind"] as? [String: Any])?["displayName"] as? String ?? "symbol"
        let name = (symbol["pathComponents"] as? [String])?.joined(separator: ".") ?? "?"
        let file = uri.replacingOccurrences(of: "file://", with: "")
        undocumented.append("\(file):\(line): \(kind) \(name)")
    }
}
for entry in Set(undocumented).sorted() { print(entry) }
exit(undocumented.isEmpty ? 0 : 1)
