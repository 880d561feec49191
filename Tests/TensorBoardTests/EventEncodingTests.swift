import RunFormat
@testable import TensorBoard
import XCTest

/// The pieces of an event file against published values and against bytes that tensorboard's own
/// protobuf classes produce for the same messages (`SerializeToString()` of
/// `tensorboard.compat.proto.summary_pb2`, tensorboard 2.21.0).
final class EventEncodingTests: XCTestCase {
    func testCRC32CMatchesItsCheckValueAndTheMask() {
        let digits = Array("123456789".utf8)
        XCTAssertEqual(MaskedCRC32C.crc(digits), 0xE306_9283, "the CRC-32C check value (RFC 3720)")
        XCTAssertEqual(MaskedCRC32C.masked(digits), 0xC78A_B0E5, "tensorboard's masked_crc32c(b'123456789')")
        XCTAssertEqual(MaskedCRC32C.masked([UInt8]()), 0xA282_EAD8, "the mask's constant alone: CRC of nothing is 0")
        XCTAssertEqual(MaskedCRC32C.masked([UInt8](repeating: 0, count: 8)), 0x0798_0329, "a zero length field")
    }

    func testVarintsAndNegativeSteps() {
        var message = ProtobufMessage()
        message.varint(2, 300)
        XCTAssertEqual(message.bytes, [0x10, 0xAC, 0x02])
        var event = ProtobufMessage()
        event.double(1, 1.5)
        event.varint(2, -1)
        XCTAssertEqual(hex(event.bytes), "09000000000000f83f10ffffffffffffffffff01", "Event(wall_time=1.5, step=-1)")
    }

    func testScalarAndHistogramValuesAreTensorBoardsBytes() {
        let scalar = SummaryValue(tag: "loss", content: .scalar(0.5))
        XCTAssertEqual(hex(scalar.encoded.bytes), "0a046c6f7373150000003f", "Value(tag='loss', simple_value=0.5)")
        let histogram = HistogramSummary(min: 0.5, max: 2, num: 3, sum: 1, sumSquares: 1, bucketLimits: [1, 2],
                                         buckets: [1, 2])
        XCTAssertEqual(hex(SummaryValue(tag: "a/b", content: .histogram(histogram)).encoded.bytes),
                       "0a03612f622a5109000000000000e03f11000000000000004019000000000000084021000000000000f03f29"
                       + "000000000000f03f3210000000000000f03f00000000000000403a10000000000000f03f0000000000000040")
    }

    /// Linear bins over [−1, 1] (four of width 0.5) with under- and overflow and a non-finite bin, given
    /// out of order: the right edges become the limits, the overflow's the largest double; min and max
    /// move the infinite edges out by the neighbour's width; sums take the midpoints.
    func testBinsBecomeBucketsWithEstimatedMoments() {
        let edges: [(Double, Double, Int)] = [(-.infinity, -1, 2), (-1, -0.5, 0), (-0.5, 0, 1), (0, 0.5, 0), (0.5, 1, 0),
                                              (1, .infinity, 1), (.nan, .nan, 3)]
        let rows = edges.enumerated().map { bin, edge in
            HistogramRow(step: 1, layer: "1", tensor: "activation", bin: bin, lo: edge.0, hi: edge.1, count: edge.2)
        }
        let (histogram, nonfinite) = HistogramSummary.from(rows.reversed())
        XCTAssertEqual(nonfinite, 3)
        XCTAssertEqual(histogram.bucketLimits, [-1, -0.5, 0, 0.5, 1, .greatestFiniteMagnitude])
        XCTAssertEqual(histogram.buckets, [2, 0, 1, 0, 0, 1])
        XCTAssertEqual(histogram.num, 4)
        XCTAssertEqual(histogram.min, -1.5)
        XCTAssertEqual(histogram.max, 1.5)
        XCTAssertEqual(histogram.sum, 2 * -1.25 + -0.25 + 1.25)
        XCTAssertEqual(histogram.sumSquares, 2 * 1.5625 + 0.0625 + 1.5625)
    }

    func testAnEmptyHistogramHasZeroMoments() {
        let rows = [HistogramRow(step: 1, layer: "0.weight", tensor: "gradient", bin: 0, lo: 0, hi: 0, count: 0),
                    HistogramRow(step: 1, layer: "0.weight", tensor: "gradient", bin: 1, lo: 0, hi: 1e-12, count: 0),
                    HistogramRow(step: 1, layer: "0.weight", tensor: "gradient", bin: 2, lo: .nan, hi: .nan, count: 0)]
        let (histogram, nonfinite) = HistogramSummary.from(rows)
        XCTAssertEqual(nonfinite, 0)
        XCTAssertEqual(histogram, HistogramSummary(min: 0, max: 0, num: 0, sum: 0, sumSquares: 0,
                                                   bucketLimits: [0, 1e-12], buckets: [0, 0]))
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
