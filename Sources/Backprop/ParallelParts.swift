import CParallel

/// Splits a loop over the same helper threads as the products (`BLASThreads`, Sources/CParallel): the
/// caller runs part 0, every part runs once, and the call returns when all have finished. Nothing is
/// allocated. Used where the parts write disjoint memory and each element is computed in the same order
/// as by the whole loop, so a split result is bit-identical to the unsplit one.
enum ParallelParts {
    /// Loops of fewer elements stay on the calling thread: waking a helper costs more than it saves.
    static let minimumElements = 1 << 16

    /// Runs `body(range)` over consecutive ranges covering `0..<count`, one per thread, when `elements`
    /// (the work the loop touches) is at least `minimumElements`; otherwise `body(0..<count)` here.
    static func forEachRange(of count: Int, elements: Int, _ body: (Range<Int>) -> Void) {
        let threads = BLASThreads.count
        guard count > 1, elements >= minimumElements, threads > 1 else { return body(0..<count) }
        withoutActuallyEscaping(body) { body in
            var job = Job(count: count, body: body)
            withUnsafeMutablePointer(to: &job) { pointer in
                gradlab_parallel_run(partTask, UnsafeMutableRawPointer(pointer), Int32(Swift.min(threads, count)))
            }
        }
    }

    fileprivate struct Job {
        var count: Int
        var body: (Range<Int>) -> Void

        /// Part `part` of `parts`: an even share of `0..<count`, the first `count % parts` parts one longer.
        func run(part: Int, parts: Int) {
            let share = count / parts, extra = count % parts
            let start = part * share + Swift.min(part, extra)
            body(start..<(start + share + (part < extra ? 1 : 0)))
        }
    }
}

/// One part of the `ParallelParts.Job` that `context` points at.
private let partTask: gradlab_parallel_task = { context, part, parts in
    guard let context else { return }
    context.assumingMemoryBound(to: ParallelParts.Job.self).pointee.run(part: Int(part), parts: Int(parts))
}
