package dev.mixprune.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A plain HTML table; cells are escaped text, except in {@code htmlColumns} (trusted markup the
 * report built itself, e.g. a link). In a numeric table numeric-looking cells are right-aligned; a
 * key/value table (not numeric) keeps everything left-aligned and wraps long values.
 *
 * @param rowClasses a CSS class per row ("best", "ref") or null entries; null for none
 */
public record HtmlTable(String id, List<String> headers, List<List<String>> rows, boolean numeric, List<String> rowClasses,
                        Set<Integer> htmlColumns) {
    public HtmlTable(String id, List<String> headers, List<List<String>> rows) { this(id, headers, rows, true, null, Set.of()); }

    public HtmlTable(String id, List<String> headers, List<List<String>> rows, boolean numeric) { this(id, headers, rows, numeric, null, Set.of()); }

    public HtmlTable {
        headers = List.copyOf(headers);
        List<List<String>> r = new ArrayList<>();
        for (List<String> row : rows) {
            if (row.size() != headers.size()) throw new IllegalArgumentException("row has " + row.size() + " cells, table has " + headers.size() + " columns");
            r.add(List.copyOf(row));
        }
        rows = List.copyOf(r);
        if (rowClasses != null && rowClasses.size() != rows.size()) throw new IllegalArgumentException("one row class per row");
        htmlColumns = Set.copyOf(htmlColumns);
    }

    public String html() {
        StringBuilder sb = new StringBuilder("<table class=\"data").append(numeric ? "" : " kv").append("\" id=\"table-").append(Svg.esc(id)).append("\">\n<thead><tr>");
        for (String h : headers) sb.append("<th>").append(Svg.esc(h)).append("</th>");
        sb.append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < rows.size(); i++) {
            List<String> row = rows.get(i);
            String cls = rowClasses == null ? null : rowClasses.get(i);
            sb.append(cls == null ? "<tr>" : "<tr class=\"" + Svg.esc(cls) + "\">");
            for (int c = 0; c < row.size(); c++) {
                String cell = row.get(c);
                boolean num = numeric && (cell.equals("-") || cell.matches("[-+]?[0-9.,]+(e[-+]?[0-9]+)?[%×]?( ± [0-9.]+)?( \\([0-9.,]+%?\\))?"));
                sb.append(num ? "<td class=\"num\">" : "<td>").append(htmlColumns.contains(c) ? cell : Svg.esc(cell)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        return sb.append("</tbody>\n</table>\n").toString();
    }
}
