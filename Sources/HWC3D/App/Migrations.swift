import Fluent
import Vapor

/// Every migration, in order: the one list `configure` registers. Each lives in its feature's `Migrations/` folder,
/// one per file, and a creating migration creates one table (the search index, two tables on SQLite, is the one
/// exception; see `CreateModelSearchIndex`).
///
/// New migrations go at the end; shipped ones never change what they create. A table split off a shipped migration
/// goes right after it, creates its table with `ignoreExisting()` and `IF NOT EXISTS` (databases migrated before the
/// split already have it), and the shipped one then reverts only its own table. Fluent records migrations by name,
/// so a migration is never renamed. `MigrationRoundTripTests` applies all, reverts all and applies all again.
enum Migrations {
    static let all: [any Migration] = [
        // Users and sign-in.
        CreateUsers(),
        CreateUserFollows(),
        CreateAuthSessions(),
        CreateRefreshTokens(),
        CreateOneTimeTokens(),
        CreateLoginFailures(),
        CreateOAuthAccounts(),
        CreateOAuthStates(),
        // Admin.
        CreateAdminUsers(),
        CreateAdminActions(),
        // Platform: jobs and mail.
        CreateJobs(),
        CreateOutboxEmails(),
        // Catalogue and models (issue 3).
        CreateCategories(),
        SeedCategories(),
        CreateModels(),
        CreateModelFiles(),
        CreateModelImages(),
        CreateTags(),
        CreateModelTags(),
        CreateModelDailyStats(),
        CreateModelLikes(),
        CreateModelComments(),
        CreateModelViews(),
        UpdateModelImagesAddPositionUniqueIndex(),
        CreateModelSearchIndex(),
        UpdateModelsAddUpdatedAtIndex(),
        UpdateModelImagesAddGenerated(),
        // Marketplace (issue 4).
        CreatePlatformSettings(),
        CreateCartItems(),
        CreateTransactions(),
        CreateTransactionItems(),
        CreatePurchases(),
        CreateLedgerEntries(),
        CreateRefundRequests(),
        CreatePayouts(),
        CreatePayoutMethods(),
        CreateIdempotencyKeys(),
        CreateWebhookEvents(),
        // Reads (issue 11).
        CreateListedModelCounts(),
        UpdateModelsAddSearchHitIndex(),
        // Communities (issue 12).
        CreateCommunities(),
        CreateCommunityMembers(),
        CreateCommunityPosts(),
        CreatePostReactions(),
        CreatePostComments(),
        CreatePostShares(),
        // Notifications and realtime (issue 12).
        CreateNotifications(),
        CreateNotificationActors(),
        CreateNotificationPreferences(),
        CreateRealtimeEvents(),
        CreateSocketTickets(),
        // Moderation (issue 12).
        CreateUserSuspensions(),
        CreateContentReports(),
        // Images uploaded for posts (issue 12).
        CreateUploadedImages(),
        UpdateCommunityPostsAddImages(),
        // A suspended creator's models leave public lists (issue 12).
        UpdateModelsAddWithheldAt(),
        UpdateListedModelCountsForWithheld(),
        // Search by the 3D quality report (issue 13).
        UpdateModelsAddQualityFigures(),
        // Likely copies of other creators' models, held for review (issue 13).
        CreateModelFileFingerprints(),
        CreateLikelyCopies(),
    ]

    static func register(in app: Application) {
        for migration in all { app.migrations.add(migration) }
    }
}
