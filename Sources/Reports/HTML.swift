import Foundation
import RunFormat

/// The HTML pieces both reports use: escaping, the page shell with its inline style sheet, figures,
/// tables and number formatting. Pages load nothing from the network.
enum HTML {
    /// Text safe in element content and in double-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A relative link to a file in the report folder (file names are percent-encoded for the `href`).
    static func href(_ path: String) -> String {
        escape(path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)
    }

    /// A complete page: no scripts, no external resources.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static let style = """
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 0 auto;
               max-width: 1240px; padding: 1rem 1.5rem 3rem; }
        h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
        th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
        th { background: #f4f4f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption { font-size: .9rem; color: #444; max-width: 60rem; }
        .banner { padding: .6rem 1rem; border-radius: 6px; margin: .8rem 0; }
        .partial { background: #fff3d6; border: 1px solid #e6a100; }
        .bad { background: #fde0dd; border: 1px solid #d62728; } .good { background: #e5f5e0; border: 1px solid #2ca02c; }
        .pair { display: flex; gap: 1.2rem; align-items: flex-start; flex-wrap: wrap; margin: 1rem 0; }
        .pair figure { flex: 3 1 560px; margin: 0; } .pair ol { flex: 2 1 320px; margin: 0; padding-left: 1.2rem; }
        .error { color: #b00000; font-weight: 600; } .warning { color: #9a6700; font-weight: 600; } .info { color: #4a6a8a; font-weight: 600; }
        code, .files a { font-family: ui-monospace, "SF Mono", Menlo, monospace; font-size: .85rem; }
        .files { columns: 3 14rem; }
        """

    /// A figure with its image (the first format), alt text, caption and links to its script and data.
    static func figure(_ figure: Figure, folder: String, formats: [ImageFormat]) -> String {
        let image = "\(folder)/\(figure.name).\(formats.first?.rawValue ?? "png")"
        let sources = ([("\(figure.name).gp", "script")] + figure.data.map { ($0.file, "data") } +
                       formats.dropFirst().map { ("\(figure.name).\($0.rawValue)", $0.rawValue.uppercased()) })
            .map { "<a href=\"\(href("\(folder)/\($0.0)"))\">\(escape($0.1))</a>" }.joined(separator: " · ")
        return """
            <figure id="\(escape(figure.name))">
            <img src="\(href(image))" alt="\(escape(figure.alt))" width="\(figure.width)" height="\(figure.height)" loading="lazy">
            <figcaption><strong>\(escape(figure.title)).</strong> \(escape(figure.caption)) <small>(\(sources))</small></figcaption>
            </figure>
            """
    }

    /// A table with a header row; cells are escaped, and cells that look numeric align right.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let head = "<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        let body = rows.map { row in
            "<tr>" + row.map { cell in
                let numeric = Double(cell) != nil || cell.hasSuffix("%") && Double(cell.dropLast()) != nil
                return numeric ? "<td class=\"num\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>"
        }.joined(separator: "\n")
        return "<table>\n\(head)\n\(body)\n</table>"
    }

    /// A number with four significant digits, `–` when absent.
    static func number(_ x: Double?) -> String {
        guard let x else { return "–" }
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return String(format: "%.4g", x)
    }

    /// A fraction as a percentage with one decimal, `–` when absent.
    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }

    /// One finding as a list item, numbered as on the figures.
    /// A finding as a list item: number, severity, title, layer, span (`FindingRow.span(end:)`, `end`
    /// being the run's last step) and message.
    static func finding(_ f: FindingRow, number: Int, end: Int?) -> String {
        let place = f.layer.isEmpty ? "" : ", layer \(f.layer)"
        let severity = f.severity.rawValue
        return "<li id=\"F\(number)\"><strong>F\(number)</strong> <span class=\"\(severity)\">\(severity)</span> "
            + "<strong>\(escape(f.kind.title))</strong>\(escape(place)), \(escape(f.span(end: end))): \(escape(f.message))</li>"
    }
}
