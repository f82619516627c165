import Foundation
import Testing

@testable import ResultsDatabase

@Suite("ResultsTable renderings")
struct ResultsTableTests {
    let table = ResultsTable(
        columns: ["id", "token", "margin", "note"],
        rows: [
            [.integer(1), .text("plain"), .real(0.5), .null],
            [.integer(22), .text("a,b \"quoted\"\nnext"), .real(-1e-09), .text("")],
            [.integer(3), .text(" padded "), .real(.infinity), .text("é\t\u{1}")],
        ])

    @Test("CSV is RFC 4180: quoted fields, doubled quotes, CRLF, NULL empty, empty string quoted")
    func csv() {
        #expect(
            table.csv()
                == "id,token,margin,note\r\n1,plain,0.5,\r\n22,\"a,b \"\"quoted\"\"\nnext\",-1e-09,\"\"\r\n"
                + "3,\" padded \",inf,é\t\u{1}\r\n")
    }

    @Test("JSON: one object per row, keys in column order, NULL and infinity as null")
    func json() throws {
        let text = table.json()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 3)
        #expect(parsed[1]["token"] as? String == "a,b \"quoted\"\nnext")
        #expect(parsed[1]["margin"] as? Double == -1e-09)
        #expect(parsed[0]["note"] is NSNull)
        #expect(parsed[2]["margin"] is NSNull)
        #expect(parsed[2]["note"] as? String == "é\t\u{1}")
        #expect(parsed[1]["id"] as? Int == 22)
        let first = try #require(text.split(separator: "\n").dropFirst().first)
        #expect(first == #"  {"id": 1, "token": "plain", "margin": 0.5, "note": null},"#)
        #expect(ResultsTable(columns: ["a"], rows: []).json() == "[]")
    }

    @Test("text: aligned columns, numbers right-aligned, control characters visible, long cells cut")
    func text() {
        let lines = table.text(maximumWidth: 12).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6)
        #expect(lines[0] == "id  token         margin  note")
        #expect(lines[2] == " 1  plain            0.5")
        #expect(lines[3] == #"22  a,b "quoted…  -1e-09"#)
        #expect(lines[4].hasPrefix(" 3   padded "))
        #expect(lines[4].hasSuffix(#"é\t\x01"#))
        #expect(lines[5] == "(3 rows)")
    }
}
