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
import java.util.List;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlReportTest {
    private static final List<String> CHARTS = List.of("fisher", "plans", "search", "perplexity", "zeroshot");

    /** Every inline SVG, parsed as XML (so it is well-formed). */
    private static List<Element> svgs(String html) throws Exception {
        List<Element> out = new ArrayList<>();
        Matcher m = java.util.regex.Pattern.compile("<svg .*?</svg>", java.util.regex.Pattern.DOTALL).matcher(html);
        while (m.find()) {
            Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
            out.add(d.getDocumentElement());
        }
        return out;
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

    @Test
    void fullRunHasEveryChartWithAxesLegendsAndNoNaN(@TempDir Path tmp) throws Exception {
        SampleRun.write(tmp);
        String html = HtmlReport.render(RunDirectory.read(tmp));
        // Keep a copy to look at (scripts/render-report.sh target/report-sample/report.html).
        Path sample = Path.of(System.getProperty("mixprune.projectRoot", "."), "target", "report-sample");
        Files.createDirectories(sample);
        Files.writeString(sample.resolve("report.html"), html);

        assertThat(html).doesNotContain("NaN").doesNotContain("Infinity").doesNotContain("<script")
                .doesNotContain("src=").doesNotContain("href=").doesNotContain("url(").doesNotContain("Not in this run").doesNotContain("could not be read");
        List<Element> svgs = svgs(html);
        assertThat(svgs).extracting(e -> e.getAttribute("id")).containsExactlyElementsOf(CHARTS.stream().map(c -> "chart-" + c).toList());
        for (Element svg : svgs) {
            String id = svg.getAttribute("id");
            assertThat(texts(svg, "ctitle")).as(id + " title").hasSize(1);
            assertThat(texts(svg, "atitle")).as(id + " axis titles").hasSize(2);
            assertThat(texts(svg, "tick").size()).as(id + " ticks").isGreaterThanOrEqualTo(4);
            assertThat(texts(svg, "nodata")).as(id).isEmpty();
            // Every numeric attribute is a finite number.
            for (String tag : List.of("line", "rect", "circle", "text")) {
                NodeList n = svg.getElementsByTagName(tag);
                for (int i = 0; i < n.getLength(); i++) {
                    Element e = (Element) n.item(i);
                    for (String a : List.of("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height")) {
                        if (e.hasAttribute(a)) assertThat(Double.parseDouble(e.getAttribute(a))).as(id + " " + tag + "@" + a).isFinite();
                    }
                }
            }
        }
        Element fisher = svgs.get(0), plans = svgs.get(1), search = svgs.get(2), ppl = svgs.get(3), zs = svgs.get(4);
        assertThat(fisher.getElementsByTagName("rect").getLength()).isEqualTo(35);
        assertThat(texts(fisher, "atitle")).contains("Fisher trace (log scale)");
        // Overall sparsity in the legend = the plan's own parameter-weighted count (SparsityPlan.expectedSparsity).
        assertThat(texts(plans, "legend")).containsExactly("msp (" + expected(tmp, "plan-msp.json") + ")",
                "owl (" + expected(tmp, "plan-owl.json") + ")", "uniform (75.0%)");
        assertThat(plans.getElementsByTagName("rect").getLength()).isEqualTo(3 * 35 + 3);   // bars + legend swatches
        assertThat(search.getElementsByTagName("polyline").getLength()).isEqualTo(2);
        assertThat(texts(search, "legend")).containsExactly("best kl", "population mean kl");
        assertThat(ppl.getElementsByTagName("polyline").getLength()).isEqualTo(6);              // 3 allocations x 2 methods; dense is one point
        assertThat(texts(ppl, "legend")).hasSize(7).contains("dense / none", "msp / wanda");
        assertThat(texts(zs, "legend")).containsExactly("eval", "msp", "chance");
        assertThat(html).contains("id=\"table-zeroshot\"").contains("id=\"table-results\"").contains("id=\"table-manifest\"");
        assertThat(html).contains("<td>hellaswag</td><td class=\"num\">25.0%</td>");
        assertThat(html).containsPattern("<td>offsets</td><td>\\[1000,1517,[^<]{200,260} \\.\\.\\. \\(\\d+ characters, see manifest.json\\)</td>");
    }

    private static String expected(Path dir, String file) throws Exception {
        return HtmlReport.pct(dev.mixprune.prune.SparsityPlan.load(dir.resolve(file)).expectedSparsity(SampleRun.STORIES260K));
    }

    @Test
    void missingFilesAreNamedPerSection(@TempDir Path tmp) throws Exception {
        String html = HtmlReport.render(RunDirectory.read(tmp));
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
        String html = HtmlReport.render(RunDirectory.read(tmp));
        assertThat(html).contains("<code>fisher.json</code> could not be read").contains("layers.blk.0.wq must be a number or an object");
        assertThat(html).contains("<code>search-trace.json</code> could not be read: not valid JSON");
        assertThat(html).contains("<code>plan-bad.json</code> could not be read").contains("version");
        assertThat(svgs(html)).extracting(e -> e.getAttribute("id")).containsExactly("chart-plans", "chart-perplexity", "chart-zeroshot");
    }

    @Test
    void fisherAcceptsPlainNumbersToo(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("fisher.json"), "{\"layers\": {\"blk.1.wq\": 2.0, \"blk.0.w2\": 0.5, \"blk.0.wq\": 1.0}}");
        RunData run = RunDirectory.read(tmp);
        assertThat(run.fisher()).isInstanceOf(Section.Present.class);
        assertThat(((Section.Present<java.util.Map<String, Double>>) run.fisher()).value())
                .containsExactly(java.util.Map.entry("blk.0.wq", 1.0), java.util.Map.entry("blk.0.w2", 0.5), java.util.Map.entry("blk.1.wq", 2.0));
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
}
