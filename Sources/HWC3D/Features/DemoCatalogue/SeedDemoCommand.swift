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
        if try await User.query(on: db).filter(\.$usernameKey == firstCreator).first() != nil {
            context.console.print("The demo catalogue is already there; nothing to do.")
            return
        }
        let password = "demo-" + SecureRandom.token(bytes: 9)
        let hash = try await services.passwords.hash(password)
        var creatorIDs: [UUID] = []
        for creator in DemoCatalogue.creators {
            let user = User(email: "\(creator.username)@demo.hwc3d.dev", username: creator.username, passwordHash: hash, displayName: creator.name)
            user.bio = creator.bio
            user.isCreator = true
            user.emailVerifiedAt = Date()
            try await user.create(on: db)
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
            guard let fresh = try await ModelAsset.find(model.requireID(), on: db) else { continue }
            let ready = try await ModelFileRecord.query(on: db).filter(\.$model.$id == fresh.requireID())
                .filter(\.$analysisStatus == ModelFileRecord.AnalysisStatus.ready.rawValue).count()
            guard ready > 0 else {
                context.console.warning("\(listing.title): its file did not pass analysis; left as a draft.")
                continue
            }
            try await db.transaction { tx in
                fresh.status = ModelAsset.Status.published.rawValue
                // Spread over the last weeks so "newest" and "trending" have an order to show.
                fresh.publishedAt = Date().addingTimeInterval(-Double(total - index) * 86_400 * 2)
                fresh.submittedAt = fresh.publishedAt
                fresh.featured = listing.featured
                try await fresh.update(on: tx)
                try await ModelCatalogueIndex.modelChanged(fresh, on: tx)
                let views = 20 + (index * 37) % 180
                try await tx.sql.raw("UPDATE models SET view_count = \(bind: views) WHERE id = \(bind: fresh.requireID())").run()
                try await ModelActivity.record(.view, modelID: fresh.requireID(), count: views, on: tx)
            }
            published += 1
        }
        context.console.print("Seeded \(DemoCatalogue.creators.count) creators and \(published) published models.")
        context.console.print("Creators sign in as \(DemoCatalogue.creators.map(\.username).joined(separator: ", ")) with password: \(password)")
    }
}
