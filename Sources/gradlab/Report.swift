import ArgumentParser
import Foundation
import Reports
import RunFormat

/// `gradlab report RUN...`: the HTML report of one run, or the comparison of several.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the figures and the HTML report of one run, or compare several runs.",
        discussion: """
            One run folder gives a run report; two or more give a comparison (overlaid losses, gradient \
            flow and heatmaps on shared scales, a table ranked by final validation loss, then loss). The \
            report folder holds index.html, the images with their gnuplot scripts and data in figures/ \
            (`gnuplot NAME.gp` there renders one again) and a copy of each run's files in data/; it works \
            offline from disk. A run that is still going, or was killed, renders from what is on disk and \
            the report says so. Needs gnuplot (`make setup` installs it).

            Default --out: RUN/report for one run; for several, a folder named comparison next to the \
            first run (e.g. runs/comparison for runs/a runs/b).
            """
    )

    @Argument(help: ArgumentHelp("Run folders written by `gradlab train` (or in the same format).", valueName: "run"))
    var runs: [String]

    @Option(help: ArgumentHelp("The report folder (created if needed; files in it are replaced).", valueName: "folder"))
    var out: String?

    @Option(help: ArgumentHelp("Image formats, comma-separated: png, svg. The page shows the first.", valueName: "formats"))
    var format = "png"

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run folder") }
        _ = try formats()
    }

    func formats() throws -> [ImageFormat] { try Self.formats(format) }

    /// The image formats of a `--format` value: png, svg or png,svg.
    static func formats(_ format: String) throws -> [ImageFormat] {
        let names = format.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let formats = try names.map { name in
            guard let f = ImageFormat(rawValue: name) else {
                throw ValidationError("--format: unknown format '\(name)'; use png, svg or png,svg")
            }
            return f
        }
        guard !formats.isEmpty else { throw ValidationError("--format: give png, svg or png,svg") }
        return formats
    }

    func run() throws {
        let folders = runs.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL }
        let data: [RunData]
        do {
            data = try folders.map { try RunReader().read($0) }
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        }
        let target = URL(fileURLWithPath: out ?? defaultOut(folders), isDirectory: true)
        if let out { try RunFolderContents.checkIsOwnFolder(out) }
        try RunFolderContents.checkReportFolder(target)
        let index: URL
        do {
            if data.count == 1 {
                index = try RunReport(run: data[0], formats: try formats()).write(to: target)
            } else {
                index = try ComparisonReport(runs: data, formats: try formats()).write(to: target)
            }
        } catch let error as RunFolderError {
            throw UserError(message: error.description)
        } catch let error as GnuplotError {
            throw UserError(message: error.description)
        } catch let error as CocoaError {
            throw UserError(message: "cannot write the report into \(target.path): \(FileAccess.words(for: error)); "
                            + "choose another folder with --out")
        }
        for run in data where run.status != .completed {
            print("Note: \(run.manifest.name) \(run.statusSentence).")
        }
        print("Report: \(index.path)")
    }

    /// RUN/report for one run; `comparison` beside the first run for several.
    func defaultOut(_ folders: [URL]) -> String {
        folders.count == 1 ? folders[0].appendingPathComponent("report").path
            : folders[0].deletingLastPathComponent().appendingPathComponent("comparison").path
    }
}
