import Fluent
import Foundation
import OpenAPIRuntime
import SQLKit
import Vapor

/// `hwc3d seed-demo`: fills the database with a few creators and published models whose files the project
/// generates itself, each going through the real upload, analysis and preview path. Running it twice changes
/// nothing the second time.
struct SeedDemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Adds demo creators and published sample models (idempotent)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let services = app.services
        let db = app.db
        let firstCreator = DemoCatalogue.creators[0].username
        let accounts = UserAccounts(database: db)
        let loginsFile = URL(fileURLWithPath: services.settings.dataDir).appendingPathComponent("demo-logins.txt")
        if try await accounts.find(username: firstCreator) != nil {
            // Every `make run` shows the logins again, not only the first: a newcomer should not have to search
            // the scrollback of an earlier run for a random password.
            if let logins = try? String(contentsOf: loginsFile, encoding: .utf8) {
                context.console.print(logins.trimmingCharacters(in: .newlines))
            } else {
                context.console.print("The demo catalogue is already there; nothing to do.")
            }
            return
        }
        let password = "demo-" + SecureRandom.token(bytes: 9)
        let hash = try await services.passwords.hash(password)
        var creatorIDs: [UUID] = []
        for creator in DemoCatalogue.creators {
            let user = try await accounts.open(.init(
                email: "\(creator.username)@demo.hwc3d.dev", username: creator.username, passwordHash: hash, displayName: creator.name,
                emailVerifiedAt: Date(), bio: creator.bio, isCreator: true))
            creatorIDs.append(try user.requireID())
        }

        let uploads = ModelFileUploads(services: services, database: db, threadPool: app.threadPool)
        var seeded: [(ModelAsset, DemoListing)] = []
        for listing in DemoCatalogue.listings {
            let fields = try await ModelFields.validate(
                title: listing.title, description: listing.description, category: listing.category, tags: listing.tags,
                license: listing.license.rawValue, priceCents: listing.priceCents, visibility: nil, on: db)
            let model = try await ModelService(services: services, database: db).create(ownerID: creatorIDs[listing.creator], fields: fields)
            let mesh = listing.build()
            let slug = model.slug
            let (bytes, name) = switch listing.format {
            case .glb: (DemoFileWriters.glb(mesh), "\(slug).glb")
            case .obj: (DemoFileWriters.obj(mesh, name: slug), "\(slug).obj")
            }
            _ = try await uploads.add(to: model, filename: name, body: HTTPBody(bytes))
            seeded.append((model, listing))
        }
        // Analysis (and preview rendering, where a model has no image) run as they would in the background.
        while try await services.jobs.runDueJobs(database: db, logger: app.logger) > 0 {}

        var published = 0
        let total = seeded.count
        for (index, (model, listing)) in seeded.enumerated() {
            guard let fresh = try await ModelAccess.model(model.requireID(), on: db) else { continue }
            guard try await ModelFileReads.analysisCounts(of: fresh.requireID(), on: db).ready > 0 else {
                context.console.warning("\(listing.title): its file did not pass analysis; left as a draft.")
                continue
            }
            try await db.transaction { tx in
                // Spread over the last weeks so "newest" and "trending" have an order to show.
                let publishedAt = Date().addingTimeInterval(-Double(total - index) * 86_400 * 2)
                try await ModelService.publishUnreviewed(fresh, at: publishedAt, featured: listing.featured, on: tx)
                let views = 20 + (index * 37) % 180
                try await ModelCounters.add(views, to: .views, of: fresh.requireID(), on: tx)
                try await ModelActivity.record(.view, modelID: fresh.requireID(), count: views, on: tx)
            }
            published += 1
        }
        context.console.print("Seeded \(DemoCatalogue.creators.count) creators and \(published) published models.")
        let logins = "Demo creators sign in as \(DemoCatalogue.creators.map(\.username).joined(separator: ", ")) with password: \(password)"
        context.console.print(logins)
        // Kept beside the development database it belongs to, readable by its owner only.
        if FileManager.default.createFile(atPath: loginsFile.path, contents: Data((logins + "\n").utf8), attributes: [.posixPermissions: 0o600]) == false {
            context.console.warning("Could not write \(loginsFile.path); note the password above.")
        }
    }
}
