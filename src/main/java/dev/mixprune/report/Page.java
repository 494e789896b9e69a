package dev.mixprune.report;

/**
 * The HTML skeleton shared by the run report and the comparison page: inline CSS, a Content
 * Security Policy that forbids every fetch and every script (the page is self-contained and works
 * offline; anything that tried to load would be blocked and show up as a console error), sections.
 */
final class Page {
    private Page() {}

    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto; max-width: 940px; padding: 0 16px; color: #222; line-height: 1.4; }
            h1 { font-size: 1.55em; margin-bottom: 0.1em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 1.8em; }
            h3 { font-size: 1em; margin: 1.2em 0 0.3em; }
            .sub { color: #666; margin-top: 0; } .missing { color: #6b5900; background: #fff8e1; padding: 6px 10px; }
            .absent { color: #555; background: #f4f4f4; padding: 6px 10px; font-size: 0.92em; } .broken { color: #a00; background: #fdecea; padding: 6px 10px; font-size: 0.92em; } .caption { color: #555; font-size: 0.9em; max-width: 820px; }
            .lead { font-size: 1.08em; background: #f3f7fb; border-left: 4px solid #0072B2; padding: 8px 12px; max-width: 800px; }
            table.data { border-collapse: collapse; margin: 8px 0; font-size: 0.9em; } table.data th, table.data td { border: 1px solid #ddd; padding: 3px 8px; }
            table.data th { background: #f4f4f4; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.data tr.best td { font-weight: 600; background: #eef6ee; } table.data tr.ref td { color: #555; }
            table.kv td { overflow-wrap: anywhere; max-width: 700px; vertical-align: top; } table.kv th { text-align: left; white-space: nowrap; vertical-align: top; }
            table.kv table.data { margin: 2px 0; }
            details { margin: 4px 0; } details summary { cursor: pointer; color: #0a4f85; }
            code { font-size: 0.92em; background: #f6f6f6; padding: 0 3px; } .nw { white-space: nowrap; }
            svg.chart { display: block; margin: 8px 0; background: #fff; border: 1px solid #eee; }
            .heatmaps { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; } .heatmaps svg.chart { margin: 0; }
            svg .grid { stroke: #eee; } svg .axis { stroke: #444; }
            svg text { font-size: 11px; fill: #333; } svg .ctitle { font-size: 14px; font-weight: 600; } svg .atitle { font-size: 12px; }
            svg text.cellv { font-size: 10px; font-variant-numeric: tabular-nums; }
            svg .legend { font-size: 11px; } svg .note, svg .nodata { fill: #888; font-style: italic; }
            svg .mark:hover { opacity: 0.75; }
            a { color: #0a4f85; }
            """;

    static void open(StringBuilder b, String title, String heading, String subtitleHtml) {
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(CSP).append("\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(Svg.esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>").append(Svg.esc(heading)).append("</h1>\n");
        if (subtitleHtml != null && !subtitleHtml.isEmpty()) b.append("<p class=\"sub\">").append(subtitleHtml).append("</p>\n");
    }

    static void close(StringBuilder b) { b.append("</body>\n</html>\n"); }

    static void section(StringBuilder b, String id, String title) {
        b.append("<section id=\"sec-").append(id).append("\">\n<h2>").append(Svg.esc(title)).append("</h2>\n");
    }

    static void endSection(StringBuilder b) { b.append("</section>\n"); }

    static void caption(StringBuilder b, String html) { b.append("<p class=\"caption\">").append(html).append("</p>\n"); }
}
