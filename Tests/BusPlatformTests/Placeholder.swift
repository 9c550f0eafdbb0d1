import Testing
@testable import BusPlatform
