// swift-tools-version:6.0
import Foundation
import PackageDescription

// The module map and its rules are in ARCHITECTURE.md: arrows point at what a module may import.
let package = Package(
    name: "GradLab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gradlab", targets: ["gradlab"]),
        .executable(name: "gradlab-bench", targets: ["gradlab-bench"]),
        .library(name: "Backprop", targets: ["Backprop"]),
        .library(name: "GradientCheck", targets: ["GradientCheck"]),
        .library(name: "TrainingDiagnostics", targets: ["TrainingDiagnostics"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "RunFormat", targets: ["RunFormat"]),
        .library(name: "TensorBoard", targets: ["TensorBoard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // External parts, installed by `make setup`.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CGnuplot",
            cSettings: [.headerSearchPath("include")],
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("boost_iostreams"), .linkedLibrary("boost_filesystem")]
        ),

        // Library modules.
        .target(name: "RunFormat"),
        .target(name: "CParallel"),
        // The elementwise kernels in C: target_clones picks AVX-512F, AVX2 or baseline at load time. -O3 in
        // every configuration, so a debug build's kernels are the vectorised ones the tests measure.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "Backprop",
            dependencies: ["CBLAS", "CParallel", "CKernels", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .target(name: "GradientCheck", dependencies: ["Backprop", "RunFormat"]),
        .target(
            name: "TrainingDiagnostics",
            dependencies: ["Backprop", "GradientCheck", "RunFormat", "CKernels"]
        ),
        .target(name: "Reports", dependencies: ["RunFormat", "CGnuplot"]),
        .target(name: "TensorBoard", dependencies: ["RunFormat"]),
        .target(
            name: "Experiments",
            dependencies: [
                "Backprop", "GradientCheck", "TrainingDiagnostics", "Reports", "RunFormat",
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Programs.
        .executableTarget(
            name: "gradlab",
            dependencies: [
                "Experiments", "Backprop", "GradientCheck", "TrainingDiagnostics", "Reports", "RunFormat", "TensorBoard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CAllocationCounter"),
        .executableTarget(
            name: "gradlab-bench",
            dependencies: [
                "Backprop", "GradientCheck", "TrainingDiagnostics", "RunFormat", "CAllocationCounter", "CBLAS", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["peers"]
        ),

        // Tests.
        .testTarget(name: "BackpropTests", dependencies: ["Backprop", "CBLAS", "CKernels", "CParallel", "CAllocationCounter"], exclude: ["Reference"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "CGnuplot", "RunFormat"], exclude: ["Snapshots"]),
        .testTarget(name: "GradlabTests", dependencies: ["gradlab", "RunFormat", "Experiments", "TensorBoard"], exclude: ["TensorBoard"]),
        .testTarget(name: "ExperimentConfigTests", dependencies: ["Experiments", "Backprop"]),
        .testTarget(name: "RunFormatTests", dependencies: ["RunFormat"]),
        .testTarget(name: "TensorBoardTests", dependencies: ["TensorBoard", "RunFormat"]),
        .testTarget(name: "GradientCheckTests", dependencies: ["GradientCheck", "Backprop", "RunFormat"]),
        .testTarget(name: "TrainingDiagnosticsTests",
                    dependencies: ["TrainingDiagnostics", "Backprop", "RunFormat", "GradientCheck", "CAllocationCounter"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Backprop", "RunFormat"], exclude: ["Fixtures", "Snapshots"]),
    ]
)

// Fuzz targets for `make fuzz`, declared only when GRADLAB_FUZZ=1 so that the ordinary build and CI never
// see them. Each is a libFuzzer entry point (`LLVMFuzzerTestOneInput`) without a main of its own: the
// Makefile builds them with `-sanitize=fuzzer,address`, and libFuzzer supplies main.
if ProcessInfo.processInfo.environment["GRADLAB_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependency: Target.Dependency)] = [
        ("CSVTableFuzz", "RunFormat"),
        ("RunManifestFuzz", "RunFormat"),
        ("SafeTensorsFuzz", "Experiments"),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: [target.dependency], path: "Fuzz/\(target.name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
    }
}
