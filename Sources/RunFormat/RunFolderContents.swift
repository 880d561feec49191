import Foundation

/// The files GradLab writes into a run folder, and the rule for replacing one (`train --force`).
///
/// A folder is replaced only when its run.json says `"format": "gradlab.run"` and every entry is one of
/// `files`, a temporary file of an atomic write (`.NAME.PID.tmp`), or the run's report folder (`report/`
/// holding index.html, figures/ and data/ with the report's kinds of file). Anything else, including a
/// symbolic link, is a foreign entry: the folder is then left as it is and the entry named.
public enum RunFolderContents {
    /// The run format's files.
    public static let files: Set<String> = [
        "run.json", "steps.csv", "gradients.csv", "activations.csv", "histograms.csv", "findings.csv",
        "gradcheck.csv", "gradcheck-sweep.csv", "model.safetensors", "timesteps.csv",
    ]

    /// File extensions of a report's files (the page, the figures with their scripts and data, the copies
    /// of the run's files).
    static let reportExtensions: Set<String> = ["html", "png", "svg", "gp", "dat", "csv", "json", "safetensors"]

    /// The names in `folder`, hidden ones included.
    public static func entries(of folder: URL) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw RunFolderError.cannotWrite(path: folder.path, reason: "cannot list the folder: " + FileAccess.words(for: error))
        }
    }

    /// Refuses an empty path, the current folder and any of its parents: a run goes into a folder of its own.
    public static func checkIsOwnFolder(_ path: String) throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RunFolderError.cannotWrite(path: "''", reason: "an empty path is not a run folder; give one such "
                                             + "as runs/NAME")
        }
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
            .resolvingSymlinksInPath().path
        if target == "/" || current == target || current.hasPrefix(target.hasSuffix("/") ? target : target + "/") {
            throw RunFolderError.cannotWrite(path: path, reason: "it is the current folder or one of its parents; "
                                             + "a run goes into a folder of its own, such as runs/NAME")
        }
    }

    /// Throws, naming the first foreign entry, unless `folder` is a GradLab run folder that may be replaced.
    public static func checkReplaceable(_ folder: URL) throws {
        func foreign(_ name: String, _ why: String) -> RunFolderError {
            RunFolderError.cannotWrite(path: folder.path, reason: "--force replaces only GradLab run folders, and "
                                       + "\(CSVTable.clipped(name)) \(why); move it away or choose another --out")
        }
        let manifest = folder.appendingPathComponent("run.json")
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.read(manifest.path)
        } catch {
            throw foreign("run.json", "is missing or unreadable, so this is not a run folder")
        }
        let existing: RunManifest
        do {
            existing = try RunManifest.decode(Data(bytes), path: manifest.path)
        } catch {
            throw foreign("run.json", "is not a GradLab run.json (format \"\(RunFormat.name)\")")
        }
        if existing.effectiveStatus == .running {
            throw RunFolderError.cannotWrite(path: folder.path, reason: "the run in it is still going (process "
                                             + "\(existing.pid.map(String.init) ?? "?")); stop it first or choose another --out")
        }
        for name in try entries(of: folder) {
            let url = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { throw foreign(name, "cannot be examined") }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK { throw foreign(name, "is a symbolic link") }
            if type == S_IFREG && (files.contains(name) || isTemporary(name)) { continue }
            if type == S_IFDIR && name == "report" {
                try checkReport(url, relative: "report", foreign: foreign)
                continue
            }
            throw foreign(name, "is not a file GradLab writes")
        }
    }

    /// Throws, naming the first foreign entry, unless `folder` is missing, empty, or a report folder
    /// (index.html, figures/, data/ and the report's kinds of file): a report never overwrites other files.
    public static func checkReportFolder(_ folder: URL) throws {
        var info = stat()
        guard stat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return }
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("run.json").path) {
            throw RunFolderError.cannotWrite(path: folder.path, reason: "it is a run folder; a report goes into a "
                                             + "folder of its own (by default RUN/report); choose another --out")
        }
        try checkReport(folder, relative: "report") { name, why in
            RunFolderError.cannotWrite(path: folder.path, reason: "a report replaces only an earlier report, and "
                                       + "\(CSVTable.clipped(String(name.dropFirst("report/".count)))) \(why); "
                                       + "choose another --out")
        }
    }

    /// Throws, naming the first foreign entry, unless the comparison report that `compare` writes into its
    /// sweep folder may go there: `index.html` absent or GradLab's, `figures/` and `data/` absent or holding
    /// only a report's kinds of file. The sweep's own entries (summary.csv, runs/) are not looked at here.
    public static func checkComparisonReport(in folder: URL, flag: String) throws {
        try checkOwnFile(folder.appendingPathComponent("index.html"), flag: flag)
        let foreign = { (name: String, why: String) in
            RunFolderError.cannotWrite(path: folder.path, reason: "the comparison report replaces only an earlier "
                                       + "report, and \(CSVTable.clipped(String(name.dropFirst("report/".count)))) \(why); "
                                       + "move it away or choose another \(flag)")
        }
        for name in ["figures", "data"] {
            let url = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw foreign("report/" + name, "is not a folder") }
            try checkReport(url, relative: "report/" + name, foreign: foreign)
        }
    }

    /// Throws unless the file at `url` is absent or one GradLab wrote: a CSV whose header starts with
    /// `header`, or a page that names GradLab. Sweeps, checks and the demo replace only their own files.
    public static func checkOwnFile(_ url: URL, header: String? = nil, flag: String) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let bytes = (try? FileAccess.read(url.path)) ?? []
        let text = String(decoding: bytes.prefix(1 << 16), as: UTF8.self)
        let own = header.map { text.hasPrefix($0) } ?? text.contains("GradLab")
        guard own else {
            throw RunFolderError.cannotWrite(path: url.path, reason: "this file was not written by GradLab and would be "
                                             + "replaced; move it away or choose another \(flag)")
        }
    }

    /// A temporary file of an atomic write: `.run.json.1234.tmp`.
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
        let parts = name.dropFirst().dropLast(4).split(separator: ".")
        guard let pid = parts.last, pid.allSatisfy(\.isNumber) else { return false }
        return files.contains(parts.dropLast().joined(separator: "."))
    }

    private static func checkReport(_ folder: URL, relative: String,
                                    foreign: (String, String) -> RunFolderError) throws {
        for name in try entries(of: folder) {
            let path = relative + "/" + name
            var info = stat()
            guard lstat(folder.appendingPathComponent(name).path, &info) == 0 else { throw foreign(path, "cannot be examined") }
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR && ((relative == "report" && (name == "figures" || name == "data"))
                                   || relative == "report/data") {
                try checkReport(folder.appendingPathComponent(name), relative: path, foreign: foreign)
            } else if type == S_IFREG && reportExtensions.contains((name as NSString).pathExtension.lowercased()) {
                continue
            } else {
                throw foreign(path, type == S_IFLNK ? "is a symbolic link" : "is not a file a GradLab report writes")
            }
        }
    }
}
