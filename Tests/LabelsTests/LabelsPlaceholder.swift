// Placeholder so the target builds until its tests land.
import Testing
@testable import Labels
