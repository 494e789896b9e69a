package dev.mixprune.report;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * manifest.json as readable key/values: the command as one shell line, times rounded, the search
 * settings as a table, the calibration and evaluation data as one line each with the rest (token
 * counts, hashes, window offsets) behind a details element. Unknown fields are shown too, objects
 * as nested tables and long arrays folded, so writers may add fields freely.
 */
final class Metadata {
    private Metadata() {}

    /** Fields shown first, in this order; the rest follow in file order. */
    private static final List<String> ORDER = List.of("model", "method", "target", "pattern", "granularity", "allocations", "seed", "command",
            "seconds", "mixprune", "java", "search", "calibration", "evaluation");

    private static final Map<String, String> NAMES = Map.ofEntries(Map.entry("model", "model"), Map.entry("method", "method"),
            Map.entry("target", "target sparsity"), Map.entry("pattern", "levels"), Map.entry("granularity", "search granularity"),
            Map.entry("allocations", "results"), Map.entry("seed", "seed"), Map.entry("command", "command"), Map.entry("seconds", "wall time"),
            Map.entry("mixprune", "mixprune version"), Map.entry("java", "Java"), Map.entry("search", "search settings"),
            Map.entry("calibration", "calibration data"), Map.entry("evaluation", "evaluation data"));

    static String html(JsonNode m) {
        List<String> keys = new ArrayList<>();
        for (String k : ORDER) if (m.has(k)) keys.add(k);
        for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k) && !k.equals("format") && !k.equals("version")) keys.add(k);
        }
        StringBuilder b = new StringBuilder("<table class=\"data kv\" id=\"table-manifest\">\n<tbody>\n");
        for (String k : keys) {
            b.append("<tr><th>").append(Svg.esc(NAMES.getOrDefault(k, k))).append("</th><td>").append(value(k, m.get(k))).append("</td></tr>\n");
        }
        return b.append("</tbody>\n</table>\n").toString();
    }

    private static String value(String key, JsonNode v) {
        return switch (key) {
            case "command" -> "<code>" + (v.isArray() ? shellHtml(v) : Svg.esc(v.asText())) + "</code>";
            case "seconds" -> v.isNumber() ? Svg.esc(duration(v.asDouble())) : Svg.esc(v.asText());
            case "target" -> v.isNumber() ? Svg.esc(HtmlReport.pct2(v.asDouble())) : Svg.esc(v.asText());
            case "search" -> v.isObject() ? table(v, "search") : v.isTextual() ? recordTable(v.asText()) : generic(v);
            case "calibration" -> data(v, true);
            case "evaluation" -> data(v, false);
            case "allocations" -> v.isArray() ? list(v) : generic(v);
            default -> generic(v);
        };
    }

    /** "mixprune run --out 'my runs/x'": arguments quoted only where a shell needs it. */
    static String shellLine(JsonNode arr) {
        List<String> parts = new ArrayList<>();
        for (JsonNode a : arr) parts.add(shellWord(a.asText()));
        return String.join(" ", parts);
    }

    /** One shell word: as it is when a shell would take it so, else in single quotes. */
    static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./:=,+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** {@link #shellLine} as HTML that wraps only between arguments (never inside "--method" or a path). */
    static String shellHtml(JsonNode arr) {
        List<String> parts = new ArrayList<>();
        for (JsonNode a : arr) parts.add("<span class=\"nw\">" + Svg.esc(shellWord(a.asText())) + "</span>");
        return String.join(" ", parts);
    }

    /** 7.3 s, 5 min 32 s, 1 h 04 min. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "-";
        if (seconds < 10) return String.format(Locale.ROOT, "%.1f s", seconds);
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    /** One line (the file and what was taken from it) and the rest (tokens, sha, offsets) behind a details element. */
    private static String data(JsonNode v, boolean calibration) {
        if (!v.isObject()) return generic(v);
        StringBuilder line = new StringBuilder("<code>").append(Svg.esc(v.path("file").asText("?"))).append("</code>");
        if (calibration && v.has("nsamples")) {
            line.append(": ").append(v.path("nsamples").asText()).append(" windows of ").append(v.path("seqlen").asText("?"))
                    .append(" tokens, seed ").append(Svg.esc(v.path("seed").asText("?")));
        } else if (v.has("tokens")) {
            line.append(String.format(Locale.ROOT, ": %,d tokens", v.path("tokens").asLong()));
        }
        if (v.has("dense_ppl") && v.get("dense_ppl").isNumber()) line.append(", dense perplexity ").append(Svg.esc(Headline.ppl(v.get("dense_ppl").asDouble())));
        Map<String, JsonNode> rest = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("file")) rest.put(e.getKey(), e.getValue());
        }
        if (rest.isEmpty()) return line.toString();
        StringBuilder d = new StringBuilder(line).append("<details><summary>details: ").append(Svg.esc(String.join(", ", rest.keySet())))
                .append("</summary>\n<table class=\"data kv\"><tbody>\n");
        rest.forEach((k, x) -> d.append("<tr><th>").append(Svg.esc(k)).append("</th><td>")
                .append(x.isArray() ? Svg.esc(joined(x)) : x.isNumber() && k.equals("tokens") ? String.format(Locale.ROOT, "%,d", x.asLong()) : Svg.esc(scalar(x)))
                .append("</td></tr>\n"));
        return d.append("</tbody></table></details>").toString();
    }

    /** A JSON object as a two-column table (nested values as text). */
    private static String table(JsonNode o, String id) {
        StringBuilder b = new StringBuilder("<table class=\"data kv\" id=\"table-").append(Svg.esc(id)).append("\"><tbody>\n");
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode x = e.getValue();
            b.append("<tr><th>").append(Svg.esc(e.getKey().replace('_', ' '))).append("</th><td>")
                    .append(Svg.esc(x.isArray() ? joined(x) : x.isObject() ? x.toString() : scalar(x))).append("</td></tr>\n");
        }
        return b.append("</tbody></table>").toString();
    }

    private static final java.util.regex.Pattern RECORD = java.util.regex.Pattern.compile("^\\w+\\[(.*)]$", java.util.regex.Pattern.DOTALL);

    /** A Java record's toString ("SearchConfig[generations=30,tokens=[256, 1024],...]", written by older runs) as a table. */
    static String recordTable(String s) {
        Matcher m = RECORD.matcher(s.trim());
        if (!m.matches()) return Svg.esc(s);
        List<String[]> kv = new ArrayList<>();
        int depth = 0, start = 0;
        String body = m.group(1);
        for (int i = 0; i <= body.length(); i++) {
            char c = i < body.length() ? body.charAt(i) : ',';
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                String part = body.substring(start, i).trim();
                int eq = part.indexOf('=');
                if (eq < 0) return Svg.esc(s);
                kv.add(new String[]{part.substring(0, eq).trim(), part.substring(eq + 1).trim()});
                start = i + 1;
            }
        }
        StringBuilder b = new StringBuilder("<table class=\"data kv\" id=\"table-search\"><tbody>\n");
        for (String[] e : kv) b.append("<tr><th>").append(Svg.esc(e[0])).append("</th><td>").append(Svg.esc(e[1])).append("</td></tr>\n");
        return b.append("</tbody></table>").toString();
    }

    private static String list(JsonNode arr) {
        StringBuilder b = new StringBuilder();
        for (JsonNode x : arr) {
            if (!b.isEmpty()) b.append("<br>");
            b.append(Svg.esc(scalar(x)));
        }
        return b.toString();
    }

    /** Scalars as text, objects as nested tables, arrays joined (folded when long). */
    private static String generic(JsonNode v) {
        if (v.isObject()) return table(v, "field");
        if (v.isArray()) {
            String j = joined(v);
            if (j.length() <= 160) return Svg.esc(j);
            return "<details><summary>" + v.size() + " values</summary>" + Svg.esc(j) + "</details>";
        }
        return Svg.esc(scalar(v));
    }

    private static String scalar(JsonNode x) {
        if (x.isFloatingPointNumber()) {
            double d = x.asDouble();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : LineChart.fmt(d);
        }
        return x.asText();
    }

    private static String joined(JsonNode arr) {
        List<String> p = new ArrayList<>();
        for (JsonNode x : arr) p.add(x.isValueNode() ? scalar(x) : x.toString());
        return String.join(", ", p);
    }
}
