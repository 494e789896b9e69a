package dev.mixprune.report;

import dev.mixprune.cli.ReportCommandAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlReportTest {
    /** Every inline SVG, parsed as XML (so it is well-formed). */
    static List<Element> svgs(String html) throws Exception {
        List<Element> out = new ArrayList<>();
        Matcher m = java.util.regex.Pattern.compile("<svg .*?</svg>", java.util.regex.Pattern.DOTALL).matcher(html);
        while (m.find()) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
            out.add(d.getDocumentElement());
        }
        return out;
    }

    private static Element svg(List<Element> svgs, String id) {
        return svgs.stream().filter(e -> e.getAttribute("id").equals(id)).findFirst().orElseThrow(() -> new AssertionError("no svg " + id));
    }

    private static List<String> texts(Element svg, String cls) {
        List<String> r = new ArrayList<>();
        NodeList n = svg.getElementsByTagName("text");
        for (int i = 0; i < n.getLength(); i++) {
            Element e = (Element) n.item(i);
            if (e.getAttribute("class").equals(cls)) r.add(e.getTextContent());
        }
        return r;
    }

    private static List<Element> marks(Element svg, String tag) {
        List<Element> r = new ArrayList<>();
        NodeList n = svg.getElementsByTagName(tag);
        for (int i = 0; i < n.getLength(); i++) {
            Element e = (Element) n.item(i);
            if (e.getAttribute("class").equals("mark")) r.add(e);
        }
        return r;
    }

    private static void allCoordinatesFinite(Element svg) {
        for (String tag : List.of("line", "rect", "circle", "text")) {
            NodeList n = svg.getElementsByTagName(tag);
            for (int i = 0; i < n.getLength(); i++) {
                Element e = (Element) n.item(i);
                for (String a : List.of("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height")) {
                    if (e.hasAttribute(a)) assertThat(Double.parseDouble(e.getAttribute(a))).as(svg.getAttribute("id") + " " + tag + "@" + a).isFinite();
                }
            }
        }
    }

    static String render(Path dir) throws Exception { return HtmlReport.render(RunDirectory.read(dir)); }

    @Test
    void aRunReadsHeadlineFirstThenPlansFisherSearchZeroShotMetadata(@TempDir Path tmp) throws Exception {
        SampleRun.write(tmp);
        String html = render(tmp);
        // Keep a copy to look at (scripts/render-report.sh target/report-sample/report.html).
        Path sample = Path.of(System.getProperty("mixprune.projectRoot", "."), "target", "report-sample");
        Files.createDirectories(sample);
        Files.writeString(sample.resolve("report.html"), html);

        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity").doesNotContain("<script").doesNotContain("src=").doesNotContain("href=")
                .doesNotContain("Not in this run").doesNotContain("could not be read").contains("Content-Security-Policy");
        assertThat(html.replace("url(#grad-plan-scale)", "")).doesNotContain("url(");
        List<String> sections = new ArrayList<>();
        Matcher sm = java.util.regex.Pattern.compile("<section id=\"sec-([a-z]+)\">").matcher(html);
        while (sm.find()) sections.add(sm.group(1));
        assertThat(sections).containsExactly("headline", "plans", "fisher", "search", "zeroshot", "metadata");   // one target: no ppl-vs-sparsity
        assertThat(html).contains("<h1>stories260K.bin: Wanda, target 75% unstructured</h1>");

        // Headline: the sentence is computed from the numbers.
        assertThat(html).contains("With Wanda at 75.10% sparsity, MSP reaches perplexity 185.50: "
                + String.format(java.util.Locale.ROOT, "%.2f× lower than uniform (253.30), %.2f× lower than OWL (267.61); the dense model has 4.63.",
                SampleRun.UNIFORM / SampleRun.MSP, SampleRun.OWL / SampleRun.MSP));
        assertThat(html).contains("Mean zero-shot accuracy over 4 tasks: dense ");
        assertThat(html).contains("<tr class=\"best\"><td>MSP</td><td class=\"num\">75.10%</td><td class=\"num\">185.50</td><td class=\"num\">40.1×</td>");
        assertThat(html).contains("<tr class=\"ref\"><td>dense</td>");

        List<Element> svgs = svgs(html);
        assertThat(svgs).extracting(e -> e.getAttribute("id")).containsExactly("chart-plan-uniform", "chart-plan-owl", "chart-plan-msp",
                "chart-plan-scale", "chart-fisher", "chart-search", "chart-zeroshot");
        svgs.forEach(HtmlReportTest::allCoordinatesFinite);

        // Heatmaps: 5 blocks x 7 matrices each, with values on hover, one colour scale for all.
        Map<String, String> fillOfValue = new HashMap<>();
        for (String p : List.of("uniform", "owl", "msp")) {
            List<Element> cells = marks(svg(svgs, "chart-plan-" + p), "rect");
            assertThat(cells).as(p).hasSize(35);
            for (Element c : cells) {
                String tip = c.getElementsByTagName("title").item(0).getTextContent();
                assertThat(tip).matches("(uniform|OWL|MSP) blk\\.\\d\\.w[qkvo123]: \\d+\\.\\d\\d%");
                String value = tip.substring(tip.lastIndexOf(' ') + 1);
                String before = fillOfValue.putIfAbsent(value, c.getAttribute("fill"));
                if (before != null) assertThat(c.getAttribute("fill")).as("same colour for %s in every plan", value).isEqualTo(before);
            }
        }
        assertThat(texts(svg(svgs, "chart-plan-uniform"), "ctitle")).containsExactly("uniform · 75.0%");

        // Fisher: 35 bars grouped by block, one series per matrix, error bars.
        Element fisher = svg(svgs, "chart-fisher");
        assertThat(marks(fisher, "rect")).hasSize(35);
        assertThat(texts(fisher, "legend")).containsExactly("wq", "wk", "wv", "wo", "w1", "w2", "w3");
        assertThat(texts(fisher, "atitle")).contains("Fisher trace (log scale)");
        assertThat(fisher.getElementsByTagName("line").getLength()).isGreaterThan(35 * 2);      // whiskers and caps
        assertThat(marks(fisher, "rect").getFirst().getElementsByTagName("title").item(0).getTextContent()).matches("block 0 / wq: .* ± .*");

        // Convergence: best so far, per-generation best and mean; KL axis; the generation count.
        Element search = svg(svgs, "chart-search");
        assertThat(texts(search, "legend")).containsExactly("best so far", "best of the generation", "mean of the generation");
        assertThat(texts(search, "atitle")).containsExactly("KL to dense (nats/token)", "generation");
        assertThat(marks(search, "polyline")).hasSize(2);
        assertThat(marks(search, "circle")).hasSize(31);
        assertThat(html).contains("Generation 0 is the initial population").contains("30 generations of offspring followed")
                .contains("fresh sample of calibration tokens");

        // Zero-shot: a column per model, chance marks, error bars.
        Element zs = svg(svgs, "chart-zeroshot");
        assertThat(texts(zs, "legend")).containsExactly("dense", "uniform", "MSP", "chance");
        assertThat(marks(zs, "rect")).hasSize(12);
        assertThat(html).contains("<td>hellaswag</td><td class=\"num\">100</td><td class=\"num\">25.0%</td>");

        // Metadata: readable.
        // the command wraps only between arguments
        assertThat(html).contains("<code><span class=\"nw\">mixprune</span> <span class=\"nw\">run</span> <span class=\"nw\">--method</span> "
                + "<span class=\"nw\">wanda</span> <span class=\"nw\">--sparsity</span> <span class=\"nw\">0.75</span> "
                + "<span class=\"nw\">--out</span> <span class=\"nw\">&#39;runs/my run&#39;</span></code>");
        assertThat(html).contains("<th>wall time</th><td>5 min 32 s</td>").doesNotContain("332.43");
        assertThat(html).contains("<table class=\"data kv\" id=\"table-search\">").contains("<th>stage tokens</th><td>256, 1024, 4096</td>");
        assertThat(html).containsPattern("<details><summary>details: tokens, tokens_sha256, nsamples, seqlen, seed, offsets</summary>");
        assertThat(html).contains(": 128 windows of 512 tokens, seed 0");
    }

    @Test
    void perplexityAgainstSparsityOnlyWithSeveralTargets(@TempDir Path tmp) throws Exception {
        SampleRun.writeMultiTargetResults(tmp);
        String html = render(tmp);
        Element ppl = svg(svgs(html), "chart-perplexity");
        assertThat(marks(ppl, "polyline")).hasSize(6);                                 // 3 allocations x 2 methods
        assertThat(texts(ppl, "legend")).hasSize(6).contains("MSP / Wanda");
        assertThat(texts(ppl, "ctitle")).containsExactly("Perplexity against sparsity (dense: 4.63)");
        assertThat(html).contains("id=\"table-results\"");
    }

    @Test
    void missingFilesAreNamedPerSection(@TempDir Path tmp) throws Exception {
        String html = render(tmp);
        assertThat(html).contains("no <code>manifest.json</code>", "no <code>fisher.json</code>", "no <code>plan-*.json</code>",
                "no <code>search-trace.json</code>", "no <code>results.json</code>", "no <code>eval.json</code>");
        assertThat(html).doesNotContain("<svg").doesNotContain("NaN");
    }

    @Test
    void brokenFilesSayWhyAndTheRestStillRenders(@TempDir Path tmp) throws Exception {
        SampleRun.write(tmp);
        Files.writeString(tmp.resolve("fisher.json"), "{\"format\": \"mixprune.fisher\", \"layers\": {\"blk.0.wq\": \"big\"}}");
        Files.writeString(tmp.resolve("search-trace.json"), "{not json");
        Files.writeString(tmp.resolve("plan-bad.json"), "{\"format\": \"mixprune.sparsity-plan\", \"version\": 7}");
        Files.writeString(tmp.resolve("eval-owl.json"), "{\"results\": {\"rte\": {\"acc,none\": \"high\"}}}");
        String html = render(tmp);
        assertThat(html).contains("<code>fisher.json</code> could not be read").contains("layers.blk.0.wq must be a number or an object");
        assertThat(html).contains("<code>search-trace.json</code> could not be read: not valid JSON");
        assertThat(html).contains("<code>plan-bad.json</code> could not be read").contains("version");
        assertThat(html).contains("<code>eval-owl.json</code> could not be read").contains("results.rte[&quot;acc,none&quot;] must be a number");
        assertThat(svgs(html)).extracting(e -> e.getAttribute("id")).containsExactly("chart-plan-uniform", "chart-plan-owl", "chart-plan-msp",
                "chart-plan-scale", "chart-zeroshot");
    }

    @Test
    void lmEvalsOwnResultsFileIsShown(@TempDir Path tmp) throws Exception {
        try (var in = HtmlReportTest.class.getResourceAsStream("/lm-eval/results_2025-01-01T00-00-00.json")) {
            Files.write(tmp.resolve("eval-pythia.json"), in.readAllBytes());
        }
        String html = render(tmp);
        assertThat(html).contains("<td>arc_easy</td><td class=\"num\">20</td><td class=\"num\">-</td><td class=\"num\">60.0% ± 11.2 (50.0%)</td>");
        assertThat(texts(svg(svgs(html), "chart-zeroshot"), "legend")).isEmpty();       // one series, no chance level known
    }

    @Test
    void nmPlansShowTheirPatternInTheCells(@TempDir Path tmp) throws Exception {
        SampleRun.writeRun(tmp, "wanda", 0.75, "nm:8", new double[]{322.3, 376.0, 179.5}, new double[]{0.7486, 0.7486, 0.7501}, 5);
        String html = render(tmp);
        assertThat(html).contains("<h1>stories260K.bin: Wanda, target 75% mixed N:M (nm:8)</h1>");
        Element uniform = svg(svgs(html), "chart-plan-uniform");
        assertThat(texts(uniform, "cellv")).hasSize(35).containsOnly("2:8");
        assertThat(marks(uniform, "rect").getFirst().getElementsByTagName("title").item(0).getTextContent()).isEqualTo("uniform blk.0.wq: 2:8 (75.0%)");
    }

    @Test
    void olderManifestsStillRead(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("manifest.json"), "{\"search\": \"SearchConfig[generations=30,offspring=24,tokens=[256, 1024, 4096],seed=0]\","
                + " \"seconds\": 7.25, \"extra\": {\"a\": 1}, \"long\": [" + "1,".repeat(100) + "1]}");
        String html = render(tmp);
        assertThat(html).contains("<th>tokens</th><td>[256, 1024, 4096]</td>").contains("<th>generations</th><td>30</td>");
        assertThat(html).contains("<td>7.3 s</td>").contains("<details><summary>101 values</summary>").contains("<th>a</th><td>1</td>");
    }

    @Test
    void threeRunsMakeOneComparisonPage(@TempDir Path tmp) throws Exception {
        SampleRun.writeRun(tmp.resolve("wanda-0.70"), "wanda", 0.70, "unstructured", new double[]{191.94, 133.97, 106.58}, new double[]{0.7032, 0.7011, 0.7004}, 1);
        SampleRun.writeRun(tmp.resolve("wanda-0.80"), "wanda", 0.80, "unstructured", new double[]{648.85, 537.22, 319.29}, new double[]{0.81, 0.8006, 0.8013}, 2);
        SampleRun.writeRun(tmp.resolve("sparsegpt-0.75"), "sparsegpt", 0.75, "unstructured", new double[]{205.0, 163.27, 125.33}, new double[]{0.75, 0.7575, 0.7567}, 3);
        Files.writeString(tmp.resolve("wanda-0.70/report.html"), "<html></html>");
        assertThat(ReportCommandAccess.run(tmp.toString())).isZero();                // a folder of runs
        String html = Files.readString(tmp.resolve("comparison.html"));
        Path sample = Path.of(System.getProperty("mixprune.projectRoot", "."), "target", "report-sample");
        Files.createDirectories(sample);
        Files.writeString(sample.resolve("comparison.html"), html);

        double lo = Math.min(133.97 / 106.58, Math.min(537.22 / 319.29, 163.27 / 125.33)), hi = Math.max(133.97 / 106.58, Math.max(537.22 / 319.29, 163.27 / 125.33));
        assertThat(html).contains("MSP has the lowest perplexity in 3 of 3 settings; the best other allocation&#39;s perplexity is "
                + String.format(java.util.Locale.ROOT, "%.2f× to %.2f× MSP&#39;s.", lo, hi));
        assertThat(html).contains("<a href=\"wanda-0.70/report.html\">wanda-0.70</a>").doesNotContain("href=\"wanda-0.80");
        // Rows by method then target; the lowest perplexity of each row in bold.
        assertThat(html.indexOf(">wanda-0.70<")).isLessThan(html.indexOf(">wanda-0.80<"));
        assertThat(html.indexOf(">wanda-0.80<")).isLessThan(html.indexOf(">sparsegpt-0.75<"));
        assertThat(html).contains("<b>106.58<br><span class=\"sub\">70.04%</span></b>");
        List<Element> svgs = svgs(html);
        assertThat(svgs).extracting(e -> e.getAttribute("id")).containsExactly("chart-perplexity-wanda", "chart-perplexity-sparsegpt");
        Element wanda = svgs.getFirst();
        assertThat(texts(wanda, "legend")).containsExactly("uniform", "OWL", "MSP");
        assertThat(texts(wanda, "ctitle")).containsExactly("Wanda: perplexity against sparsity (dense: 4.63)");
        assertThat(marks(wanda, "polyline")).hasSize(3);
        assertThat(marks(wanda, "circle")).hasSize(6);
        assertThat(marks(wanda, "circle").getFirst().getAttribute("fill")).isEqualTo(ComparisonReport.COLORS.get("uniform"));

        // The same with the directories named one by one, and --out.
        Path out = tmp.resolve("c/x.html");
        assertThat(ReportCommandAccess.run(tmp.resolve("wanda-0.70").toString(), tmp.resolve("wanda-0.80").toString(), "--out", out.toString())).isZero();
        assertThat(Files.readString(out)).contains("in 2 of 2 settings").contains("<a href=\"../wanda-0.70/report.html\">");
        // Runs whose directories share a name are told apart by their parents.
        assertThat(ComparisonReport.labels(List.of(RunDirectory.read(tmp.resolve("wanda-0.70")), RunDirectory.read(tmp.resolve("c")))).values())
                .containsExactlyInAnyOrder("wanda-0.70", "c");
        Path seed0 = tmp.resolve("w75/cal0"), seed1 = tmp.resolve("w80/cal0");
        Files.createDirectories(seed0);
        Files.createDirectories(seed1);
        assertThat(ComparisonReport.labels(List.of(RunDirectory.read(seed0), RunDirectory.read(seed1))).values())
                .containsExactlyInAnyOrder("w75/cal0", "w80/cal0");
    }

    @Test
    void legendsThatDoNotFitSayHowManyAreLeftOut() throws Exception {
        List<LineChart.Series> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) many.add(new LineChart.Series("series " + i, List.of(new LineChart.Point(i, i + 1))));
        Element svg = svgs(new LineChart("many", "many", "x (u)", "y (u)", many, false).svg()).getFirst();
        List<String> legend = texts(svg, "legend");
        assertThat(legend.size()).isBetween(10, 20);
        assertThat(texts(svg, "note")).containsExactly("+" + (30 - legend.size()) + " more (see tooltips)");
        for (String tag : List.of("rect", "text")) {
            NodeList n = svg.getElementsByTagName(tag);
            for (int i = 0; i < n.getLength(); i++) {
                Element e = (Element) n.item(i);
                if (e.hasAttribute("y")) assertThat(Double.parseDouble(e.getAttribute("y"))).isLessThan(Chart.HEIGHT);
            }
        }
    }

    @Test
    void nonFiniteValuesAreDroppedNotDrawn() throws Exception {
        LineChart c = new LineChart("t", "t", "x (unit)", "y (unit)", List.of(new LineChart.Series("a",
                List.of(new LineChart.Point(0, 1), new LineChart.Point(1, Double.NaN), new LineChart.Point(2, Double.POSITIVE_INFINITY),
                        new LineChart.Point(3, 0), new LineChart.Point(Double.NaN, 2)))), true);
        String svg = c.svg();
        assertThat(svg).doesNotContain("NaN").doesNotContain("Infinity").contains("4 point(s) without a finite value not shown");
        GroupedBarChart g = GroupedBarChart.bars("g", "g", "c", "v", List.of("a", "b"), new double[]{Double.NaN, Double.NaN}, false);
        assertThat(g.svg()).contains("no data").doesNotContain("NaN");
    }

    @Test
    void reportCommandWritesTheFile(@TempDir Path tmp) throws Exception {
        SampleRun.write(tmp);
        assertThat(ReportCommandAccess.run(tmp.toString())).isZero();
        assertThat(Files.readString(tmp.resolve("report.html"))).startsWith("<!DOCTYPE html>").contains("chart-zeroshot");
        Path other = tmp.resolve("out/r.html");
        assertThat(ReportCommandAccess.run(tmp.toString(), "--out", other.toString())).isZero();
        assertThat(other).exists();
        assertThat(ReportCommandAccess.run(tmp.resolve("nope").toString())).isEqualTo(3);
    }

    @Test
    void colourScaleIsMonotoneAndTextStaysReadable() {
        ColorScale s = ColorScale.covering(0.65, 0.90);
        assertThat(s.lo()).isEqualTo(0.65);
        assertThat(s.hi()).isEqualTo(0.90);
        assertThat(s.textColor(0.90)).isEqualTo("#fff");         // darkest cell: white text
        assertThat(s.textColor(0.65)).isEqualTo("#111");
        double prev = 2;
        for (double v = 0.65; v <= 0.9; v += 0.01) {
            int rgb = Integer.parseInt(s.color(v).substring(1), 16);
            double lum = 0.2126 * (rgb >> 16) + 0.7152 * ((rgb >> 8) & 0xff) + 0.0722 * (rgb & 0xff);
            assertThat(lum).as("luminance falls with sparsity at %.2f", v).isLessThanOrEqualTo(prev * 255 + 1e-9);
            prev = lum / 255;
        }
        ColorScale one = ColorScale.covering(0.75, 0.75);
        assertThat(one.lo()).isLessThan(0.75);
        assertThat(one.hi()).isGreaterThan(0.75);
    }
}
