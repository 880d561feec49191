/// CRC-32C (Castagnoli), masked as TFRecord framing stores it.
///
/// ```
/// crc    = CRC-32C(bytes)            reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF
/// masked = ((crc >> 15) | (crc << 17)) + 0xA282EAD8   (mod 2³²)
/// ```
/// The mask keeps a CRC of data that itself holds CRCs from being trivially related to them. The check
/// value of CRC-32C over the ASCII bytes "123456789" is 0xE3069283.
///
/// Reference: TensorFlow's `tensorflow/core/lib/hash/crc32c.h` (`Mask`), and RFC 3720 §B.4 for the
/// polynomial.
enum MaskedCRC32C {
    /// The byte-at-a-time table of the reflected polynomial.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The plain CRC-32C of `bytes`.
    static func crc<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked CRC-32C of `bytes`, as TFRecord framing writes it.
    static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = crc(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
