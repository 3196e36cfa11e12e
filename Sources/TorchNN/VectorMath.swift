import Foundation

/// Vectorised `exp`, `sigmoid` and `tanh` for the gate nonlinearities.
///
/// The recurrent kernels spend most of their elementwise time in these
/// functions; glibc's scalar `expf`/`tanhf` cost several nanoseconds each,
/// these cost a fraction of that per element because they run on whole SIMD
/// vectors with no branches and no calls.
///
/// Method (Cephes `expf`/`tanhf`, single precision):
/// - `e^x` for `x ≤ 0`: `x = n·ln2 + r`, `|r| ≤ ln2/2`, with `n` rounded by the
///   1.5·2²³ "magic number" trick (no SSE4.1 `roundps` needed) and `ln2` split in two
///   (Cody–Waite) so `r` is exact; `e^r = 1 + r + r²·P(r)`, P of degree 5;
///   `2ⁿ` is built from exponent bits (for sigmoid in two halves, so that results
///   down to the subnormal range round correctly).
/// - `σ(x) = 1/(1+E)` for `x ≥ 0` and `E/(1+E)` for `x < 0`, with `E = e^{−|x|}`:
///   no overflow, and relative accuracy also where σ is tiny.
/// - `tanh|x| = (1−E)/(1+E)` with `E = e^{−2|x|}` for `|x| ≥ 0.625`, and the odd
///   polynomial `x + x·x²·Q(x²)` below (no cancellation near 0); the sign is copied back.
///
/// Accuracy against Double (`Foundation.exp`/`tanh`), measured over all 2³² Float
/// inputs: at most 2.41 ulp for sigmoid and 1.51 ulp for tanh, subnormal results
/// included; `VectorMathTests` re-checks samples of that sweep against a 4 ulp bound.
/// NaN propagates, ±∞ give the exact limits, −0 stays −0 for tanh.
///
/// The module is compiled for the baseline x86-64 target (SSE2), so a
/// `SIMD16<Float>` is four 4-lane registers. That width was measured fastest (LSTM gate
/// pass, B = 32, H = 256: 86 µs per step with SIMD4, 66 with SIMD8, 54 with SIMD16;
/// SIMD32 is not specialised by the compiler and is 100× slower): the independent
/// registers hide the latency of each polynomial chain and of the divisions.
enum VectorMath {
    typealias Vector = SIMD16<Float>
    typealias Ints = SIMD16<Int32>
    static let width = Vector.scalarCount

    // MARK: - Vector kernels

    /// `e^x` for `x ≤ 0` (larger inputs are not used and not handled). Inputs below
    /// `lowerBound` give the value at `lowerBound`; NaN gives NaN.
    /// - Parameter subnormalResults: build 2ⁿ in two halves so that results below
    ///   2⁻¹²⁶ round correctly into the subnormals (needed for `lowerBound` < −87);
    ///   otherwise one exponent-bit product, valid for n ≥ −126.
    @inline(__always)
    static func expNonPositive(_ x: Vector, lowerBound: Float, subnormalResults: Bool) -> Vector {
        // Clamp with a comparison that is false for NaN, so NaN passes through.
        let x = x.replacing(with: Vector(repeating: lowerBound), where: x .< lowerBound)
        // n = round(x / ln2): adding 1.5·2²³ rounds to an integer in the low bits.
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        // r = x − n·ln2 with ln2 = C1 + C2, C1 exact in 10 bits so n·C1 is exact.
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_827_68e-4
        let r2 = r * r
        var p: Vector = Vector(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * r2 + r + 1
        let nBits = int(shifted) &- int(Vector(repeating: magic))
        if subnormalResults {
            // 2ⁿ as 2^(n−⌊n/2⌋) · 2^⌊n/2⌋: each half is a normal float for n ≥ −150,
            // so only the last product rounds (into the subnormals when it has to).
            let half = nBits &>> 1
            let rest = nBits &- half
            return er * float((half &+ 127) &<< 23) * float((rest &+ 127) &<< 23)
        }
        return er * float((nBits &+ 127) &<< 23)
    }

    @inline(__always) static func int(_ v: Vector) -> Ints { unsafeBitCast(v, to: Ints.self) }
    @inline(__always) static func float(_ v: Ints) -> Vector { unsafeBitCast(v, to: Vector.self) }

    /// Lanes of `b` where `mask` is all ones, of `a` where it is zero (bitwise: two
    /// logic operations, cheaper on SSE2 than a select on a comparison mask).
    @inline(__always)
    static func select(_ mask: Ints, _ b: Vector, else a: Vector) -> Vector {
        float((int(b) & mask) | (int(a) & ~mask))
    }

    /// `|x|` by clearing the sign bit (NaN stays NaN).
    @inline(__always)
    static func magnitude(_ x: Vector) -> Vector {
        float(int(x) & 0x7FFF_FFFF)
    }

    /// σ(x) = 1 / (1 + e^(−x)).
    @inline(__always)
    static func sigmoid(_ x: Vector) -> Vector {
        // e^(−|x|) ∈ (0, 1]; below −104, σ rounds to 0 anyway.
        let e = expNonPositive(-magnitude(x), lowerBound: -104, subnormalResults: true)
        // x ≥ 0: 1/(1+e); x < 0: e/(1+e), chosen by the sign bit (all ones when set).
        // A NaN gives NaN either way.
        let numerator = select(int(x) &>> 31, e, else: Vector(repeating: 1))
        return numerator / (1 + e)
    }

    /// tanh(x), odd, |tanh| ≤ 1.
    @inline(__always)
    static func tanh(_ x: Vector) -> Vector {
        let a = magnitude(x)
        // |x| ≥ 0.625: (1 − e^(−2|x|)) / (1 + e^(−2|x|)); past |x| = 32 this is 1 in Float.
        let e = expNonPositive(-2 * a, lowerBound: -64, subnormalResults: false)
        let large = (1 - e) / (1 + e)
        // |x| < 0.625: x + x·z·Q(z), z = x² (Cephes tanhf).
        let z = a * a
        var q: Vector = Vector(repeating: -5.704_988_727_45e-3)
        q = q * z + 2.063_908_879_54e-2
        q = q * z - 5.373_971_555_31e-2
        q = q * z + 1.333_144_220_36e-1
        q = q * z - 3.333_328_194_22e-1
        let small = q * z * a + a
        // |x| < 0.625 compared on the bits (a ≥ 0, so they order like the values;
        // NaN's bits are above 0.625's, so NaN takes `large`, which is NaN).
        let t = select((int(a) &- 0x3F20_0000) &>> 31, small, else: large)
        // Copy x's sign back (NaN stays NaN; −0 stays −0).
        return float(int(t) | (int(x) & Int32(bitPattern: 0x8000_0000)))
    }

    // MARK: - Loads and stores

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// The first `count` (≤ width) elements of `p`, the other lanes 0.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ count: Int) -> Vector {
        if count == width { return load(p) }
        var v = Vector()
        for lane in 0..<count { v[lane] = p[lane] }
        return v
    }

    /// Stores the first `count` (≤ width) lanes of `v`.
    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == width { return store(v, p) }
        for lane in 0..<count { p[lane] = v[lane] }
    }

    // MARK: - Buffers

    /// `output[i] = σ(input[i])` for `i < count`; `output` may equal `input`.
    static func sigmoid(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        map(input, into: output, count: count, sigmoid)
    }

    /// `output[i] = tanh(input[i])` for `i < count`; `output` may equal `input`.
    static func tanh(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int) {
        map(input, into: output, count: count, tanh)
    }

    @inline(__always)
    private static func map(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int,
                            _ f: (Vector) -> Vector) {
        forEachChunk(count) { i, n in store(f(load(input + i, n)), output + i, n) }
    }
}

/// Calls `body(j, n)` for consecutive chunks `j..<j+n` covering `0..<count`:
/// full vectors (n = `VectorMath.width`), then one shorter tail. The loads and
/// stores of `VectorMath` taking `n` read and write only those n elements.
@inline(__always)
func forEachChunk(_ count: Int, _ body: (_ start: Int, _ length: Int) -> Void) {
    let width = VectorMath.width
    var j = 0
    while j + width <= count {
        body(j, width)
        j += width
    }
    if j < count { body(j, count - j) }
}
