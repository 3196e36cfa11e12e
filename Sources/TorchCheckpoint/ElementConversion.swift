/// Element conversions shared by every tensor store.
enum ElementConversion {
    static let hostIsBigEndian = 1.bigEndian == 1

    static func swapBytes(_ bytes: inout [UInt8], unit: Int) {
        guard unit > 1 else { return }
        bytes.withUnsafeMutableBufferPointer { buffer in
            var i = 0
            while i + unit <= buffer.count {
                var lo = i, hi = i + unit - 1
                while lo < hi { buffer.swapAt(lo, hi); lo += 1; hi -= 1 }
                i += unit
            }
        }
    }

    static func convertToFloat(_ bytes: [UInt8], dtype: DType, count: Int) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .float32: return Array(raw.bindMemory(to: Float.self))
            case .float64: return raw.bindMemory(to: Double.self).map { Float($0) }
            case .float16: return raw.bindMemory(to: UInt16.self).map(halfToFloat)
            case .bfloat16: return raw.bindMemory(to: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
            case .float8_e5m2: return raw.bindMemory(to: UInt8.self).map { halfToFloat(UInt16($0) << 8) }
            case .float8_e4m3fn: return raw.bindMemory(to: UInt8.self).map(e4m3fnToFloat)
            case .float8_e4m3fnuz: return raw.bindMemory(to: UInt8.self).map { fnuzToFloat($0, mantissaBits: 3, bias: 8) }
            case .float8_e5m2fnuz: return raw.bindMemory(to: UInt8.self).map { fnuzToFloat($0, mantissaBits: 2, bias: 16) }
            case .float8_e8m0fnu: return raw.bindMemory(to: UInt8.self).map(e8m0fnuToFloat)
            default: return [Float](repeating: .nan, count: count)  // unreachable: callers check isFloatingPoint
            }
        }
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }

    static func e4m3fnToFloat(_ b: UInt8) -> Float {
        let negative = b & 0x80 != 0
        let exponent = Int((b >> 3) & 0xF)
        let mantissa = Float(b & 0x7)
        let magnitude: Float
        if exponent == 15, b & 0x7 == 7 {
            magnitude = .nan
        } else if exponent == 0 {
            magnitude = mantissa * 0x1p-9
        } else {
            magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
        }
        return negative ? -magnitude : magnitude
    }
}

extension ElementConversion {
    /// The "fnuz" float8 formats (`float8_e4m3fnuz`, `float8_e5m2fnuz`): no
    /// infinities, no negative zero, 0x80 is the only NaN; subnormals at exponent 0.
    static func fnuzToFloat(_ b: UInt8, mantissaBits: Int, bias: Int) -> Float {
        if b == 0x80 { return .nan }
        let negative = b & 0x80 != 0
        let exponent = Int((b & 0x7F) >> mantissaBits)
        let mantissa = Float(b & UInt8((1 << mantissaBits) - 1))
        let scale = Float(1 << mantissaBits)
        let magnitude = exponent == 0
            ? mantissa / scale * Float(sign: .plus, exponent: 1 - bias, significand: 1)
            : (1 + mantissa / scale) * Float(sign: .plus, exponent: exponent - bias, significand: 1)
        return negative ? -magnitude : magnitude
    }

    /// `float8_e8m0fnu`: an unsigned power of two, 2^(b − 127); 0xFF is NaN.
    static func e8m0fnuToFloat(_ b: UInt8) -> Float {
        b == 0xFF ? .nan : Float(sign: .plus, exponent: Int(b) - 127, significand: 1)
    }

    /// Interleaved real and imaginary parts of a complex tensor as Float64.
    static func complexParts(_ bytes: [UInt8], dtype: DType) -> [Double]? {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .complex32: return raw.bindMemory(to: UInt16.self).map { Double(halfToFloat($0)) }
            case .bcomplex32: return raw.bindMemory(to: UInt16.self).map { Double(Float(bitPattern: UInt32($0) << 16)) }
            case .complex64: return raw.bindMemory(to: Float.self).map(Double.init)
            case .complex128: return Array(raw.bindMemory(to: Double.self))
            default: return nil
            }
        }
    }
}

extension ElementConversion {
    /// Float32 → IEEE half, round to nearest even (what torch's `.half()` does).
    static func floatToHalf(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {  // inf or NaN (keep NaN quiet)
            return sign | 0x7C00 | (mantissa != 0 ? UInt16(0x200 | (mantissa >> 13)) : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }  // overflow → inf
        if halfExponent <= 0 {
            // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to even.
            if halfExponent < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }  // may carry into the exponent: correct
        return sign | UInt16(half)
    }

    /// Float32 → bfloat16, round to nearest even (NaN stays NaN).
    static func floatToBFloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
