/// The HTML page served at `/`: one self-contained document (inline CSS and script, nothing fetched from
/// elsewhere) that lists the experiments from `/api/experiments`, filters them by model, and shows a model's
/// unargmaxable classes and tokens from `/api/classes?model=…&verdict=unargmaxable`.
///
/// Every value from the database is put into the page as text (`textContent`), never as markup, so a token
/// such as `<script>` shows as those characters; the Content-Security-Policy allows only the page's own inline
/// script and style and requests to the same server.
public enum ResultsPage {
    /// The `Content-Security-Policy` header sent with the page.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page, naming the database (HTML-escaped) in its header.
    public static func html(databaseName: String) -> String {
        template.replacingOccurrences(of: "{{DATABASE}}", with: escape(databaseName))
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let template = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Unargmaxable results</title>
        <style>
          :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --accent: #8a1c1c; --sel: #fdf0e6; }
          body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
                 margin: 0; background: #fafbfc; }
          header { padding: 14px 24px; background: #1d2330; color: #fff; }
          header h1 { margin: 0; font-size: 20px; font-weight: 600; }
          header p { margin: 2px 0 0; color: #c5cad6; font-size: 13px; }
          main { padding: 12px 24px 32px; max-width: 1200px; }
          h2 { font-size: 17px; margin: 22px 0 8px; }
          .count { color: var(--muted); font-weight: normal; font-size: 14px; }
          label { font-weight: 600; margin-right: 8px; }
          input[type=search] { font: inherit; padding: 5px 8px; width: 340px; border: 1px solid #aab1bf;
                               border-radius: 4px; }
          table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
          th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
                   white-space: nowrap; }
          th { background: #eef0f4; font-size: 13px; }
          td.num { text-align: right; font-variant-numeric: tabular-nums; }
          td.token { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre; color: var(--accent); }
          td.null { color: var(--muted); }
          tbody tr.pick { cursor: pointer; }
          tbody tr.pick:hover { background: #f3f5f9; }
          tbody tr.selected { background: var(--sel); }
          .hint, .empty { color: var(--muted); }
          #error { color: #a40000; font-weight: 600; }
        </style>
        </head>
        <body>
        <header>
          <h1>Unargmaxable results</h1>
          <p>Database: <span id="database">{{DATABASE}}</span> (read-only)</p>
        </header>
        <main>
          <p><label for="model">Model</label><input id="model" type="search" autocomplete="off"
             placeholder="part of a model's name or path"></p>
          <p id="error" role="alert" hidden></p>
          <h2>Experiments <span id="experiment-count" class="count"></span></h2>
          <p class="hint">Select an experiment to list its unargmaxable tokens.</p>
          <div id="experiments"></div>
          <section id="tokens-section" hidden>
            <h2>Unargmaxable tokens of <span id="selected"></span> <span id="token-count" class="count"></span></h2>
            <div id="tokens"></div>
          </section>
        </main>
        <script>
        "use strict";
        (function () {
          const byId = (id) => document.getElementById(id);
          const first = (row, names) => names.find((name) => row && Object.prototype.hasOwnProperty.call(row, name));
          const MODEL = ["model", "name", "model_name"];
          const RUN = ["run", "run_id", "runID", "id"];
          const TOKEN = ["token", "display", "token_display"];
          // The columns shown when the API has them (else all); the API itself returns every column.
          const EXPERIMENT_COLUMNS = ["run", "model", "classes", "dimension", "bias", "shard", "argmaxable",
            "unargmaxable", "undecided", "seconds", "finished"];
          const CLASS_COLUMNS = ["run", "model", "class_index", "index", "token", "margin_lower", "margin_upper",
            "stage"];
          const LABELS = { dimension: "d", class_index: "class", index: "class", margin_lower: "margin ≥",
            margin_upper: "margin ≤", finished: "date" };

          function showError(message) {
            const box = byId("error");
            box.textContent = message || "";
            box.hidden = !message;
          }

          async function fetchRows(path, parameters) {
            const query = new URLSearchParams();
            for (const [name, value] of Object.entries(parameters)) if (value) query.set(name, value);
            const url = path + (query.toString() ? "?" + query.toString() : "");
            const response = await fetch(url, { headers: { Accept: "application/json" } });
            const body = await response.json();
            if (!response.ok) throw new Error(body && body.error ? body.error : response.status + " " + url);
            return body;
          }

          function text(value, column) {
            if (value === null || value === undefined) return "—";
            if (column === "bias" && (value === 0 || value === 1 || typeof value === "boolean")) {
              return value ? "yes" : "no";
            }
            if (typeof value === "number" && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
            return String(value);
          }

          // Rows as a table; every value goes in as text, never as markup.
          function renderTable(container, rows, options) {
            container.replaceChildren();
            if (!rows.length) {
              const empty = document.createElement("p");
              empty.className = "empty";
              empty.textContent = options.empty;
              container.append(empty);
              return;
            }
            const present = Object.keys(rows[0]);
            const preferred = (options.columns || []).filter((column) => present.includes(column));
            const columns = preferred.length ? preferred : present;
            const table = document.createElement("table");
            const headRow = table.createTHead().insertRow();
            for (const column of columns) {
              const th = document.createElement("th");
              th.textContent = LABELS[column] || column;
              headRow.append(th);
            }
            const body = table.createTBody();
            for (const row of rows) {
              const tr = body.insertRow();
              for (const column of columns) {
                const td = tr.insertCell();
                const value = row[column];
                td.textContent = text(value, column);
                if (value === null || value === undefined) td.className = "null";
                else if (typeof value === "number") td.className = "num";
                if (options.tokenColumn === column && value !== null) td.className = "token";
              }
              if (options.onPick) {
                tr.className = "pick";
                tr.tabIndex = 0;
                tr.addEventListener("click", () => options.onPick(row, tr));
                tr.addEventListener("keydown", (event) => { if (event.key === "Enter") options.onPick(row, tr); });
              }
            }
            container.append(table);
          }

          // The unargmaxable classes of the models matching `model` (of one run when `run` is given).
          async function showTokens(model, run) {
            const section = byId("tokens-section");
            if (!model) { section.hidden = true; return; }
            try {
              let rows = await fetchRows("/api/classes", { model: model, verdict: "unargmaxable" });
              const runColumn = first(rows[0], RUN);
              if (run !== undefined && runColumn) rows = rows.filter((row) => row[runColumn] === run);
              byId("selected").textContent = model;
              byId("token-count").textContent = "(" + rows.length + ")";
              renderTable(byId("tokens"), rows, {
                empty: "No unargmaxable classes recorded for this model.",
                columns: CLASS_COLUMNS,
                tokenColumn: first(rows[0], TOKEN),
              });
              section.hidden = false;
              showError("");
            } catch (error) {
              showError(error.message);
            }
          }

          async function showExperiments(model) {
            try {
              const rows = await fetchRows("/api/experiments", { model: model });
              byId("experiment-count").textContent = "(" + rows.length + ")";
              renderTable(byId("experiments"), rows, {
                empty: model ? "No experiments match this model." : "The database holds no experiments yet.",
                columns: EXPERIMENT_COLUMNS,
                onPick: (row, tr) => {
                  for (const other of tr.parentNode.children) other.classList.remove("selected");
                  tr.classList.add("selected");
                  const name = row[first(row, MODEL)];
                  const runColumn = first(row, RUN);
                  showTokens(name, runColumn ? row[runColumn] : undefined);
                },
              });
              showError("");
            } catch (error) {
              showError(error.message);
            }
          }

          function setLocation(model) {
            const url = new URL(window.location.href);
            if (model) url.searchParams.set("model", model); else url.searchParams.delete("model");
            window.history.replaceState(null, "", url);
          }

          const input = byId("model");
          let timer;
          input.addEventListener("input", () => {
            clearTimeout(timer);
            timer = setTimeout(() => {
              const model = input.value.trim();
              setLocation(model);
              showExperiments(model);
              showTokens(model);
            }, 250);
          });

          const initial = new URLSearchParams(window.location.search).get("model") || "";
          input.value = initial;
          showExperiments(initial);
          showTokens(initial);
        })();
        </script>
        </body>
        </html>

        """#
}
