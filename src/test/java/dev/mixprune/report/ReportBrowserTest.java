package dev.mixprune.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.cli.ReportCommandAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report and the comparison page rendered by a real browser (headless Chromium, Debian package
 * {@code chromium}; .ci/run installs it): no console errors, no blocked loads, and every chart has
 * visible marks inside its frame and no text cut off at its edges. A small check script is put in
 * a copy of the page (the only change: the page's Content Security Policy then allows inline
 * scripts); it writes what it found into the DOM, which Chromium's --dump-dom prints after load.
 * Checked by hand that it fails: a page with {@code <img src="http://example.com/x.png">} reports the
 * blocked load (securitypolicyviolation event and an INFO:CONSOLE line), a text at x=-20 is "cut off".
 */
class ReportBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String CHECK = """
            <script>
            (function () {
              var errors = [];
              function text(args) { return Array.prototype.map.call(args, String).join(' '); }
              console.error = function () { errors.push('console.error: ' + text(arguments)); };
              console.warn = function () { errors.push('console.warn: ' + text(arguments)); };
              window.addEventListener('error', function (e) {
                errors.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href || e.target.tagName)) || 'unknown'));
              }, true);
              document.addEventListener('securitypolicyviolation', function (e) { errors.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI); });
              window.addEventListener('load', function () {
                var charts = [];
                document.querySelectorAll('svg.chart').forEach(function (svg) {
                  var box = svg.getBoundingClientRect(), marks = 0, outside = 0, clipped = [];
                  function inside(r) { return r.left >= box.left - 1 && r.top >= box.top - 1 && r.right <= box.right + 1 && r.bottom <= box.bottom + 1; }
                  svg.querySelectorAll('.mark').forEach(function (m) {
                    var r = m.getBoundingClientRect();
                    if (r.width > 0 || r.height > 0) { if (inside(r)) marks++; else outside++; }
                  });
                  svg.querySelectorAll('text').forEach(function (t) {
                    var r = t.getBoundingClientRect();
                    if (r.width > 0 && !inside(r)) clipped.push(t.textContent);
                  });
                  charts.push({id: svg.id, marks: marks, outside: outside, clipped: clipped});
                });
                var pre = document.createElement('pre');
                pre.id = 'mixprune-check';
                pre.textContent = JSON.stringify({errors: errors, charts: charts});
                document.body.appendChild(pre);
              });
            })();
            </script>
            """;

    static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        throw new AssertionError("headless Chromium is needed for this test: apt-get install -y chromium (.ci/run installs it)");
    }

    /** Loads the page in headless Chromium with the check script and returns what the script found. */
    static JsonNode check(Path html, Path tmp) throws Exception {
        String page = Files.readString(html);
        assertThat(page).contains(Page.CSP);
        String instrumented = page.replace(Page.CSP, Page.CSP + "; script-src 'unsafe-inline'").replace("<head>\n", "<head>\n" + CHECK);
        Path copy = tmp.resolve("checked-" + html.getFileName());
        Files.writeString(copy, instrumented);
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        Path stdout = tmp.resolve("dom-" + html.getFileName() + ".txt"), stderr = tmp.resolve("chromium-" + html.getFileName() + ".log");
        Process p = new ProcessBuilder(chromium().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile, "--window-size=1000,2000",
                "--enable-logging=stderr", "--v=0", "--dump-dom", copy.toUri().toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 120 s; log: " + Files.readString(stderr));
        }
        String dom = Files.readString(stdout, StandardCharsets.UTF_8);
        Matcher m = java.util.regex.Pattern.compile("<pre id=\"mixprune-check\">(.*?)</pre>", java.util.regex.Pattern.DOTALL).matcher(dom);
        assertThat(m.find()).as("the check script ran (chromium exit %d, log:%n%s)", p.exitValue(), tail(stderr)).isTrue();
        String json = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
        // Chromium logs every console message of the page on stderr as well (a blocked load, e.g., as INFO:CONSOLE); a clean page logs none.
        List<String> console = new ArrayList<>();
        for (String line : Files.readAllLines(stderr)) if (line.contains(":CONSOLE")) console.add(line);
        assertThat(console).as("console messages").isEmpty();
        return JSON.readTree(json);
    }

    private static String tail(Path f) throws IOException {
        List<String> l = Files.readAllLines(f);
        return String.join("\n", l.subList(Math.max(0, l.size() - 20), l.size()));
    }

    private static void assertClean(JsonNode result, List<String> expectedCharts) {
        assertThat(result.get("errors")).as("errors in the page").isEmpty();
        List<String> ids = new ArrayList<>();
        for (JsonNode c : result.get("charts")) {
            String id = c.get("id").asText();
            ids.add(id);
            assertThat(c.get("marks").asInt()).as("%s has visible marks", id).isPositive();
            assertThat(c.get("outside").asInt()).as("%s marks outside the chart", id).isZero();
            assertThat(c.get("clipped")).as("%s text cut off at the edges", id).isEmpty();
        }
        assertThat(ids).containsExactlyElementsOf(expectedCharts);
    }

    @Test
    void runReportAndComparisonPageRenderCleanlyInChromium(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("runs/wanda-0.75");
        SampleRun.write(run);
        assertThat(ReportCommandAccess.run(run.toString())).isZero();
        assertClean(check(run.resolve("report.html"), tmp), List.of("chart-plan-uniform", "chart-plan-owl", "chart-plan-msp", "chart-plan-scale",
                "chart-fisher", "chart-search", "chart-zeroshot"));

        SampleRun.writeRun(tmp.resolve("runs/wanda-0.80"), "wanda", 0.80, "unstructured", new double[]{648.85, 537.22, 319.29}, new double[]{0.81, 0.8006, 0.8013}, 2);
        SampleRun.writeRun(tmp.resolve("runs/wanda-nm8"), "wanda", 0.75, "nm:8", new double[]{322.33, 376.0, 179.46}, new double[]{0.7486, 0.7486, 0.7501}, 3);
        assertThat(ReportCommandAccess.run(tmp.resolve("runs").toString())).isZero();
        assertClean(check(tmp.resolve("runs/comparison.html"), tmp), List.of("chart-perplexity-wanda"));
    }
}
