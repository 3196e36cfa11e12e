import Foundation
import Testing
@testable import TorchNN

/// Accuracy of the vectorised gate nonlinearities against Double references,
/// in units in the last place (ulp) of the exact result's Float neighbourhood.
@Suite("Vectorised sigmoid and tanh")
struct VectorMathTests {
    /// Allowed error: 4 ulp (the functions measure at most 2.3 ulp for sigmoid and 1.5 for tanh).
    static let maxULP = 4.0

    /// |got − exact| in ulp of the Float spacing just below |exact| (subnormal spacing
    /// for subnormal results). Exact agreement is 0; NaN must match NaN.
    static func ulpError(_ got: Float, _ exact: Double) -> Double {
        if exact.isNaN { return got.isNaN ? 0 : .infinity }
        if got.isNaN { return .infinity }
        if Double(got) == exact { return 0 }
        let magnitude = abs(exact)
        let rounded = Float(magnitude)
        let below = Double(rounded) > magnitude ? rounded.nextDown : rounded
        return abs(Double(got) - exact) / Double(below.ulp)
    }

    static func exactSigmoid(_ x: Float) -> Double { 1 / (1 + Foundation.exp(-Double(x))) }
    static func exactTanh(_ x: Float) -> Double { Foundation.tanh(Double(x)) }

    /// Runs both buffer functions over `inputs` and returns the worst ulp error of each
    /// with the input where it occurs.
    static func worstErrors(_ inputs: [Float], _ variant: KernelVariant) -> (sigmoid: (ulp: Double, x: Float), tanh: (ulp: Double, x: Float)) {
        var s = [Float](repeating: 0, count: inputs.count), t = s
        inputs.withUnsafeBufferPointer { x in
            s.withUnsafeMutableBufferPointer { VectorMath.sigmoid(x.baseAddress!, into: $0.baseAddress!, count: x.count, variant: variant) }
            t.withUnsafeMutableBufferPointer { VectorMath.tanh(x.baseAddress!, into: $0.baseAddress!, count: x.count, variant: variant) }
        }
        var worstS = (ulp: 0.0, x: Float(0)), worstT = (ulp: 0.0, x: Float(0))
        for (k, x) in inputs.enumerated() {
            let es = ulpError(s[k], exactSigmoid(x)), et = ulpError(t[k], exactTanh(x))
            if !(es <= worstS.ulp) { worstS = (es, x) }
            if !(et <= worstT.ulp) { worstT = (et, x) }
        }
        return (worstS, worstT)
    }

    @Test("every power of two and its neighbours, both signs, whole Float range", arguments: KernelVariant.supported)
    func powersOfTwo(_ variant: KernelVariant) {
        var inputs: [Float] = []
        for k in -149...127 {
            let p = Float(sign: .plus, exponent: k, significand: 1)
            for v in [p.nextDown, p, p.nextUp, p * 1.5] where v.isFinite && v > 0 { inputs += [v, -v] }
        }
        inputs += [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        let worst = Self.worstErrors(inputs, variant)
        #expect(worst.sigmoid.ulp <= Self.maxULP, "sigmoid: \(worst.sigmoid.ulp) ulp at x = \(worst.sigmoid.x)")
        #expect(worst.tanh.ulp <= Self.maxULP, "tanh: \(worst.tanh.ulp) ulp at x = \(worst.tanh.x)")
    }

    @Test("10⁶ random values in [−20, 20]", arguments: KernelVariant.supported)
    func randomValues(_ variant: KernelVariant) {
        var generator = SeededGenerator(seed: 42)
        let inputs = (0..<1_000_000).map { _ in Float.random(in: -20...20, using: &generator) }
        let worst = Self.worstErrors(inputs, variant)
        #expect(worst.sigmoid.ulp <= Self.maxULP, "sigmoid: \(worst.sigmoid.ulp) ulp at x = \(worst.sigmoid.x)")
        #expect(worst.tanh.ulp <= Self.maxULP, "tanh: \(worst.tanh.ulp) ulp at x = \(worst.tanh.x)")
    }

    @Test("a sweep over every 4099th Float bit pattern", arguments: KernelVariant.supported)
    func bitPatternSweep(_ variant: KernelVariant) {
        let inputs = stride(from: UInt64(0), to: 1 << 32, by: 4099).map { Float(bitPattern: UInt32($0)) }.filter { !$0.isNaN }
        let worst = Self.worstErrors(inputs, variant)
        #expect(worst.sigmoid.ulp <= Self.maxULP, "sigmoid: \(worst.sigmoid.ulp) ulp at x = \(worst.sigmoid.x)")
        #expect(worst.tanh.ulp <= Self.maxULP, "tanh: \(worst.tanh.ulp) ulp at x = \(worst.tanh.x)")
    }

    @Test("special values: ±∞, NaN, ±0, saturation", arguments: KernelVariant.supported)
    func specialValues(_ variant: KernelVariant) {
        let inputs: [Float] = [.infinity, -.infinity, .nan, -.nan, 0, -0.0, 200, -200, 1e30, -1e30, 9, -9]
        var s = [Float](repeating: 0, count: inputs.count), t = s
        inputs.withUnsafeBufferPointer { x in
            s.withUnsafeMutableBufferPointer { VectorMath.sigmoid(x.baseAddress!, into: $0.baseAddress!, count: x.count, variant: variant) }
            t.withUnsafeMutableBufferPointer { VectorMath.tanh(x.baseAddress!, into: $0.baseAddress!, count: x.count, variant: variant) }
        }
        #expect(s[0] == 1 && s[1] == 0 && s[2].isNaN && s[3].isNaN && s[4] == 0.5 && s[5] == 0.5)
        #expect(s[6] == 1 && s[7] == 0 && s[8] == 1 && s[9] == 0)
        #expect(t[0] == 1 && t[1] == -1 && t[2].isNaN && t[3].isNaN)
        #expect(t[4] == 0 && t[4].sign == .plus && t[5] == 0 && t[5].sign == .minus)
        #expect(t[6] == 1 && t[7] == -1 && t[8] == 1 && t[9] == -1)
        #expect(Self.ulpError(t[10], Foundation.tanh(9.0)) <= Self.maxULP && t[11] == -t[10])
        #expect(!s.contains { !$0.isNaN && !(0...1).contains($0) })
    }

    @Test("every length 0...40 (vector body and tail) gives the same values as the vector body",
          arguments: KernelVariant.supported)
    func tails(_ variant: KernelVariant) {
        let values = (0..<40).map { Float($0) * 0.37 - 7 }
        let full = Self.apply(values, variant)
        for count in 0...40 {
            let part = Self.apply(Array(values[..<count]), variant)
            #expect(part.sigmoid == Array(full.sigmoid[..<count]) && part.tanh == Array(full.tanh[..<count]), "count \(count)")
        }
    }

    static func apply(_ x: [Float], _ variant: KernelVariant) -> (sigmoid: [Float], tanh: [Float]) {
        // One sentinel past the end checks that nothing is written beyond `count`.
        var s = [Float](repeating: 0, count: x.count + 1), t = s
        s[x.count] = 42; t[x.count] = 42
        x.withUnsafeBufferPointer { x in
            s.withUnsafeMutableBufferPointer { VectorMath.sigmoid(x.baseAddress ?? UnsafePointer(bitPattern: 8)!, into: $0.baseAddress!, count: x.count, variant: variant) }
            t.withUnsafeMutableBufferPointer { VectorMath.tanh(x.baseAddress ?? UnsafePointer(bitPattern: 8)!, into: $0.baseAddress!, count: x.count, variant: variant) }
        }
        #expect(s[x.count] == 42 && t[x.count] == 42)
        return (Array(s.dropLast()), Array(t.dropLast()))
    }
}
