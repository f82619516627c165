import Testing
@testable import LayerStudies
