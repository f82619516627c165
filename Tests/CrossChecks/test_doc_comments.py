"""The doc-comment check (Tests/check_doc_comments.py, run by `make lint`) finds what it should and
passes on the sources."""
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "Tests"))

import check_doc_comments  # noqa: E402

SAMPLE = '''
/// Documented.
public struct Documented {
    public let undocumented: Int
    /// Fine.
    @inlinable
    public var attributed: Int { 1 }
    public var description: String { "" }
    public static func == (a: Self, b: Self) -> Bool { true }
    let internalIsFine = 1
    private func privateIsFine() {}
    public func hash(into hasher: inout Hasher) {}
    let text = """
        public let insideAString = 1
        """
}

public extension Documented {
    func implicitlyPublic() {}
    private func notPublic() {}
    /// Fine.
    func documented() {}
}

/**
 Block doc comments count too.
 */
public enum Block { case a, b }

/* A plain block comment does not. */
open class Open {}
'''


def test_finds_undocumented_public_declarations(tmp_path):
    source = tmp_path / "Sample.swift"
    source.write_text(SAMPLE)
    found = [declaration for _, declaration in check_doc_comments.scan_file(str(source))]
    assert found == ["public let undocumented: Int", "func implicitlyPublic() {}", "open class Open {}"]


def test_the_sources_pass():
    assert check_doc_comments.main([os.path.join(ROOT, "Sources")]) == 0
