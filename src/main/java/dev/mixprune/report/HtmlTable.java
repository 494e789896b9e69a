package dev.mixprune.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain HTML table; cells are escaped text. In a numeric table numeric-looking cells are
 * right-aligned; a key/value table (not numeric) keeps everything left-aligned and wraps long values.
 */
public record HtmlTable(String id, List<String> headers, List<List<String>> rows, boolean numeric) {
    public HtmlTable(String id, List<String> headers, List<List<String>> rows) { this(id, headers, rows, true); }

    public HtmlTable {
        headers = List.copyOf(headers);
        List<List<String>> r = new ArrayList<>();
        for (List<String> row : rows) {
            if (row.size() != headers.size()) throw new IllegalArgumentException("row has " + row.size() + " cells, table has " + headers.size() + " columns");
            r.add(List.copyOf(row));
        }
        rows = List.copyOf(r);
    }

    public String html() {
        StringBuilder sb = new StringBuilder("<table class=\"data").append(numeric ? "" : " kv").append("\" id=\"table-").append(Svg.esc(id)).append("\">\n<thead><tr>");
        for (String h : headers) sb.append("<th>").append(Svg.esc(h)).append("</th>");
        sb.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            sb.append("<tr>");
            for (String c : row) {
                boolean num = numeric && c.matches("[-+]?[0-9.,]+(e[-+]?[0-9]+)?%?( ± [0-9.]+)?");
                sb.append(num ? "<td class=\"num\">" : "<td>").append(Svg.esc(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        return sb.append("</tbody>\n</table>\n").toString();
    }
}
