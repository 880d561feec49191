import Foundation
import XCTest

/// A one-node Slurm cluster of a test's own: its munged, slurmctld and slurmd, started from a key and a
/// config in a temporary folder, on free ports, and stopped by their process ids.
///
/// Nothing of the machine's own Slurm or munge is used or touched: the key, the socket, the state, the
/// spool, the pid files and the logs are all in `folder`, and the client commands find the cluster through
/// `SLURM_CONF` (in `environment`). The node is this machine (`CPUs` its core count), processes are
/// tracked through /proc (`proctrack/linuxproc`) and not bound (`task/none`), so that no cgroup is needed.
/// Every daemon runs in the foreground under `timeout`, so that one outlives a crashed test by at most
/// `lifetime` seconds; `stop()` ends them earlier, and every wait here has a deadline.
final class SlurmCluster {
    /// Longest a daemon may live, whatever happens to the test process.
    static let lifetime = 900
    static let nodeName = "gradlab-node"

    let folder: URL
    /// `SLURM_CONF` for the client commands and `gradlab`.
    let environment: [String: String]
    private var daemons: [(name: String, process: Process, log: URL)] = []

    /// Starts the daemons and waits, for at most `seconds`, until the node is idle; throws with the daemons'
    /// logs when it is not.
    init(seconds: Double = 60) throws {
        guard getuid() == 0 else {
            throw ClusterError("the Slurm test starts its own slurmd, which must run as root; run the tests as root "
                               + "(as CI's `make test` does)")
        }
        // munge's socket path must stay short (a Unix socket path is at most 107 bytes).
        folder = URL(fileURLWithPath: "/tmp/gradlab-slurm-\(UUID().uuidString.prefix(8))", isDirectory: true)
        let manager = FileManager.default
        for name in ["munge", "state", "spool"] {
            try manager.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.appendingPathComponent("munge").path)
        let key = folder.appendingPathComponent("munge/munge.key")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<1024).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: key)
        try manager.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key.path)
        let socket = folder.appendingPathComponent("munge/munge.socket").path
        let config = folder.appendingPathComponent("slurm.conf")
        try Self.config(folder: folder, socket: socket).write(to: config, atomically: true, encoding: .utf8)
        environment = ["SLURM_CONF": config.path]
        do {
            try start("munged", ["--foreground", "--force", "--socket=\(socket)", "--key-file=\(key.path)",
                                 "--pid-file=\(folder.path)/munge/munged.pid", "--log-file=\(folder.path)/munged.log",
                                 "--seed-file=\(folder.path)/munge/munged.seed"])
            try waitUntil(seconds: 10, "munged's socket") { manager.fileExists(atPath: socket) }
            try start("slurmctld", ["-D", "-c", "-i", "-f", config.path])
            try start("slurmd", ["-D", "-f", config.path, "-N", Self.nodeName])
            try waitUntil(seconds: seconds, "the node to be idle in sinfo") {
                let result = self.client("sinfo", ["--noheader", "--nodes", Self.nodeName, "--format", "%t"])
                return result.status == 0 && result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "idle"
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// A one-node slurm.conf; the ports are found free now.
    static func config(folder: URL, socket: String) throws -> String {
        let host = shortHostName()
        let path = folder.path
        return """
            ClusterName=gradlabtest
            SlurmctldHost=\(host)(127.0.0.1)
            SlurmctldPort=\(try freePort())
            SlurmdPort=\(try freePort())
            SlurmUser=\(NSUserName())
            SlurmdUser=root
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket=\(socket)
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            JobCompType=jobcomp/none
            SchedulerType=sched/builtin
            MpiDefault=none
            ReturnToService=2
            MinJobAge=600
            SlurmctldPidFile=\(path)/slurmctld.pid
            SlurmdPidFile=\(path)/slurmd.pid
            SlurmdSpoolDir=\(path)/spool
            StateSaveLocation=\(path)/state
            SlurmctldLogFile=\(path)/slurmctld.log
            SlurmdLogFile=\(path)/slurmd.log
            NodeName=\(nodeName) NodeHostname=\(host) NodeAddr=127.0.0.1 CPUs=\(ProcessInfo.processInfo.activeProcessorCount) State=UNKNOWN
            PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """
    }

    /// Starts daemon `name` (from /usr/sbin, where Debian's slurm-wlm and munge put them) under `timeout`.
    private func start(_ name: String, _ arguments: [String]) throws {
        let program = "/usr/sbin/" + name
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ClusterError("\(program) is missing; `make setup` installs it (Debian packages slurm-wlm and munge)")
        }
        let log = folder.appendingPathComponent("\(name).out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=10", "\(Self.lifetime)", program] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        daemons.append((name, process, log))
    }

    /// Waits for `condition`, failing with the daemons' logs after `seconds` or when a daemon has ended.
    func waitUntil(seconds: Double, _ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if let ended = daemons.first(where: { !$0.process.isRunning }) {
                throw ClusterError("\(ended.name) ended (status \(ended.process.terminationStatus)) while waiting for "
                                   + "\(what)\n" + logs)
            }
            guard Date() < deadline else { throw ClusterError("no \(what) after \(seconds) s\n" + logs) }
            usleep(200_000)
        }
    }

    /// Runs a Slurm client command (sinfo, squeue, scontrol, scancel) against this cluster.
    func client(_ name: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/" + name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "cannot run \(name): \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `key=value` fields of `scontrol show job ID` (one line per job; an array job gives one per task).
    func jobs(_ id: String) -> [[String: String]] {
        let result = client("scontrol", ["--oneliner", "show", "job", id])
        guard result.status == 0 else { return [] }
        return result.output.split(separator: "\n").map { line in
            var fields: [String: String] = [:]
            for word in line.split(separator: " ") {
                let pair = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            return fields
        }
    }

    static let endedStates: Set = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                                   "BOOT_FAIL", "DEADLINE", "PREEMPTED"]

    /// Waits, for at most `seconds`, until job `id` has ended; returns its final state. Throws, with the
    /// logs, when it has not, or when it waits on a dependency that can no longer be met.
    func waitForJob(_ id: String, seconds: Double) throws -> String {
        var state = ""
        try waitUntil(seconds: seconds, "end of job \(id)") {
            let job = jobs(id).first ?? [:]
            state = job["JobState"] ?? ""
            return Self.endedStates.contains(state) || job["Reason"] == "DependencyNeverSatisfied"
        }
        return state
    }

    /// The daemons' logs, their last lines, for a failure message.
    var logs: String {
        let files = ["munged.log", "slurmctld.log", "slurmd.log"] + daemons.map { $0.log.lastPathComponent }
        return files.map { name in
            let text = (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "(none)"
            return "--- \(name):\n" + text.split(separator: "\n", omittingEmptySubsequences: false).suffix(25)
                .joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Cancels every job, waits (at most 30 s) for the queue to empty, then ends the daemons, last started
    /// first: SIGTERM, and SIGKILL for one still there after 10 s. Removes the folder.
    func stop() {
        guard !daemons.isEmpty else { return }
        if daemons.allSatisfy(\.process.isRunning) {
            _ = client("scancel", ["--user", NSUserName()])
            try? waitUntil(seconds: 30, "an empty queue") {
                let queue = client("squeue", ["--noheader", "--format", "%i"])
                return queue.status == 0 && queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }
        }
        for daemon in daemons.reversed() where daemon.process.isRunning {
            kill(daemon.process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while daemon.process.isRunning && Date() < deadline { usleep(50_000) }
            if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) }
            daemon.process.waitUntilExit()
        }
        daemons = []
        // A job's slurmstepd ends on its own a moment after its job; one still there after 10 s is killed.
        let deadline = Date().addingTimeInterval(10)
        while !strays.isEmpty && Date() < deadline { usleep(50_000) }
        for pid in strays { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Processes other than the daemons started for this cluster: those whose environment holds its
    /// `SLURM_CONF` (slurmd passes its own to each job's slurmstepd and the job), found through /proc.
    var strays: [Int32] {
        let mark = Data(("SLURM_CONF=" + (environment["SLURM_CONF"] ?? "")).utf8) + Data([0])
        let daemonIDs = Set(daemons.map(\.process.processIdentifier))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), !daemonIDs.contains(pid),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return (Data([0]) + environ).range(of: Data([0]) + mark) != nil && !isDaemon(pid)
        }
    }

    /// Whether `pid` is one of the daemons themselves (a child of a `timeout` started here).
    private func isDaemon(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = Int32(fields[1]) else { return false }
        return daemons.contains { $0.process.processIdentifier == parent }
    }

    /// The daemons' process ids (of their `timeout`), for a test that they are gone after `stop()`.
    var processIdentifiers: [Int32] { daemons.map(\.process.processIdentifier) }

    static func shortHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(String(cString: buffer).prefix { $0 != "." })
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (bound with port 0, read back, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ClusterError("bind() to a free port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct ClusterError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
