package dev.mixprune.report;

import java.util.List;

/**
 * A grid of coloured cells: one row per block, one column per matrix (wq ... w3), colour = the
 * layer's sparsity on a shared {@link ColorScale}, the value in the cell when it is large enough
 * to read and in a tooltip always. Missing values (NaN) are grey.
 *
 * @param rows   row labels (block indices)
 * @param cols   column labels (matrix names)
 * @param values values[row][col] in the scale's unit (fraction 0..1)
 * @param labels text per cell (e.g. "2:8" or "72.5"), null for the value in percent
 * @param tips   tooltip per cell
 */
public record Heatmap(String id, String title, String rowTitle, List<String> rows, List<String> cols, double[][] values, String[][] labels,
                      String[][] tips, ColorScale scale) implements Chart {

    static final double LEFT = 52, TOP = 48, CELL_W = 32;

    public Heatmap {
        rows = List.copyOf(rows);
        cols = List.copyOf(cols);
        if (values.length != rows.size()) throw new IllegalArgumentException(values.length + " value rows for " + rows.size() + " rows");
        for (double[] r : values) if (r.length != cols.size()) throw new IllegalArgumentException("each row needs " + cols.size() + " values");
    }

    double cellHeight() { return rows.size() <= 12 ? 24 : Math.max(5, Math.min(24, 360.0 / rows.size())); }

    public double width() { return LEFT + CELL_W * cols.size() + 10; }

    public double height() { return TOP + cellHeight() * rows.size() + 12; }

    @Override public String svg() {
        Svg s = new Svg();
        double w = width(), h = height(), ch = cellHeight();
        s.raw("<svg class=\"chart heatmap\" id=\"chart-" + Svg.esc(id) + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Svg.num(w)
                + "\" height=\"" + Svg.num(h) + "\" viewBox=\"0 0 " + Svg.num(w) + " " + Svg.num(h) + "\" role=\"img\">\n");
        s.raw("<title>" + Svg.esc(title) + "</title>\n");
        s.text(LEFT + CELL_W * cols.size() / 2, 18, title, "middle", "ctitle", 0);
        for (int c = 0; c < cols.size(); c++) s.text(LEFT + CELL_W * (c + 0.5), TOP - 8, cols.get(c), "middle", "tick", 0);
        int every = Math.max(1, (int) Math.ceil(rows.size() / (360.0 / 12)));
        for (int r = 0; r < rows.size(); r++) {
            double y = TOP + ch * r;
            if (r % every == 0) s.text(LEFT - 6, y + ch / 2 + 4, rows.get(r), "end", "tick", 0);
            for (int c = 0; c < cols.size(); c++) {
                double v = values[r][c];
                String tip = tips != null && tips[r][c] != null ? tips[r][c] : rows.get(r) + " " + cols.get(c) + ": " + HtmlReport.pct(v);
                s.cell(LEFT + CELL_W * c, y, CELL_W, ch, Double.isFinite(v) ? scale.color(v) : "#ddd", tip);
                if (ch >= 14 && Double.isFinite(v)) {
                    String label = labels != null && labels[r][c] != null ? labels[r][c] : String.format(java.util.Locale.ROOT, "%.1f", 100 * v);
                    s.raw("<text x=\"" + Svg.num(LEFT + CELL_W * (c + 0.5)) + "\" y=\"" + Svg.num(y + ch / 2 + 4)
                            + "\" text-anchor=\"middle\" class=\"cellv\" style=\"fill:" + scale.textColor(v) + "\">" + Svg.esc(label) + "</text>\n");
                }
            }
        }
        s.text(14, TOP + ch * rows.size() / 2, rowTitle, "middle", "atitle", -90);
        s.raw("</svg>\n");
        return s.toString();
    }
}
