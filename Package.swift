// swift-tools-version:6.1
// supportbot — an email support bot for PWSK: IMAP in, rules, SMTP auto-reply out.
//
// Pure cores (MailMessage, Triage) take values and return values; the shells
// (MailTransport, SupportDesk's engine, the CLI) are the only ones touching the
// network and the disk. See DESIGN.md section 2 for the layering.
import PackageDescription

let package = Package(
  name: "supportbot",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "supportbot", targets: ["supportbot"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
  ],
  targets: [
    // libcurl, with typed shims for its variadic setopt/getinfo.
    .systemLibrary(
      name: "CCurl",
      pkgConfig: "libcurl",
      providers: [.apt(["libcurl4-openssl-dev"])]
    ),

    // RFC 5322 / MIME parsing and composing. No I/O.
    .target(name: "MailMessage"),

    // Staff-editable rules, Polish-aware normalisation, classification. No network.
    .target(name: "Triage", dependencies: ["MailMessage"]),

    // IMAP and SMTP clients over libcurl.
    .target(
      name: "MailTransport",
      dependencies: [
        "CCurl",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),

    // Policy, state store and the engine (poll → decide → reply → record → file).
    .target(
      name: "SupportDesk",
      dependencies: [
        "MailMessage",
        "Triage",
        "MailTransport",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),

    // The command-line interface: a thin shell over the libraries.
    .executableTarget(
      name: "supportbot",
      dependencies: [
        "SupportDesk",
        "MailMessage",
        "Triage",
        "MailTransport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),

    // Benchmarks: programs that print figures side by side with a baseline (BENCHMARKS.md).
    .executableTarget(
      name: "mailmessage-benchmark",
      dependencies: ["MailMessage"],
      path: "Benchmarks/MailMessageBenchmark"
    ),

    .executableTarget(
      name: "stack-benchmark",
      dependencies: ["MailTransport", "MailStackTestSupport"],
      path: "Benchmarks/StackBenchmark"
    ),

    .executableTarget(
      name: "triage-benchmark",
      dependencies: ["Triage", "MailMessage"],
      path: "Benchmarks/TriageBenchmark"
    ),

    // Helpers for tests that talk to the local mail stack (scripts/mailstack.sh).
    .target(
      name: "MailStackTestSupport",
      dependencies: ["MailTransport", "MailMessage", .product(name: "Logging", package: "swift-log")],
      path: "Tests/MailStackTestSupport"
    ),

    .testTarget(
      name: "MailMessageTests", dependencies: ["MailMessage"], resources: [.copy("Fixtures"), .copy("Differential")]),
    .testTarget(name: "TriageTests", dependencies: ["Triage"]),
    .testTarget(
      name: "MailTransportTests",
      dependencies: ["MailTransport", "MailMessage", "MailStackTestSupport"]
    ),
    .testTarget(
      name: "SupportDeskTests",
      dependencies: [
        "SupportDesk", "MailMessage", "MailTransport", "Triage", "MailStackTestSupport",
        .product(name: "InMemoryLogging", package: "swift-log"),
      ],
      exclude: ["Snapshots"],
      resources: [.copy("Fixtures")]
    ),
    // The `supportbot` binary against the real servers, as an admin runs it.
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["MailMessage", "MailTransport", "SupportDesk", "MailStackTestSupport"]
    ),
  ]
)

// Same language settings everywhere: Swift 6 mode (strict concurrency) plus the
// upcoming features we want to hold ourselves to already.
for target in package.targets where target.type != .system {
  var settings = target.swiftSettings ?? []
  settings.append(.swiftLanguageMode(.v6))
  settings.append(.enableUpcomingFeature("ExistentialAny"))
  settings.append(.enableUpcomingFeature("MemberImportVisibility"))
  target.swiftSettings = settings
}
