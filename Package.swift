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

    // Every decision and the reply wording: when to answer, with which
    // template, who the customer is, when support works. No I/O at all.
    .target(
      name: "SupportPolicy",
      dependencies: [
        "MailMessage",
        "Triage",
        .product(name: "Mustache", package: "swift-mustache"),
      ]
    ),

    // The shell: the engine (poll → decide → reply → record → file), the
    // service, the state store, the configuration and the file loaders.
    .target(
      name: "SupportDesk",
      dependencies: [
        "MailMessage",
        "Triage",
        "MailTransport",
        "SupportPolicy",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Yams", package: "Yams"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),

    // The command-line interface: a thin shell over the libraries.
    .executableTarget(
      name: "supportbot",
      dependencies: [
        "SupportDesk",
        "SupportPolicy",
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
      name: "SupportPolicyTests",
      dependencies: ["SupportPolicy", "MailMessage", "Triage"],
      resources: [.copy("Fixtures")]
    ),
    .testTarget(
      name: "SupportDeskTests",
      dependencies: [
        "SupportDesk", "SupportPolicy", "MailMessage", "MailTransport", "Triage", "MailStackTestSupport",
        .product(name: "InMemoryLogging", package: "swift-log"),
        .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
      ],
      exclude: ["Snapshots", "Fixtures"]
    ),
    // The `supportbot` binary against the real servers, as an admin runs it.
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["MailMessage", "MailTransport", "SupportDesk", "SupportPolicy", "MailStackTestSupport"]
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
