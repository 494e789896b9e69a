package dev.mixprune.cli;

import dev.mixprune.io.AtomicFiles;
import dev.mixprune.report.HtmlReport;
import dev.mixprune.report.RunData;
import dev.mixprune.report.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code report RUN_DIR}: one self-contained HTML page from what the other commands wrote (docs/report.md). */
@Command(name = "report",
        description = "Render a run directory (fisher.json, plan-*.json, search-trace.json, results.json, eval*.json, manifest.json) as one HTML file.")
public final class ReportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "directory the run wrote its JSON files into") Path runDir;
    @Option(names = "--out", description = "HTML file to write (default: RUN_DIR/report.html)") Path out;

    private final PrintStream stdout;

    public ReportCommand() { this(System.out); }

    ReportCommand(PrintStream stdout) { this.stdout = stdout; }

    @Override public Integer call() throws Exception {
        RunData data = RunDirectory.read(runDir);
        Path target = out != null ? out : runDir.resolve("report.html");
        AtomicFiles.write(target, HtmlReport.render(data).getBytes(StandardCharsets.UTF_8));
        stdout.println(target);
        return Main.EXIT_OK;
    }
}
