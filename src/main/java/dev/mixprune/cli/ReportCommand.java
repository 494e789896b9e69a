package dev.mixprune.cli;

import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;
import dev.mixprune.report.ComparisonReport;
import dev.mixprune.report.HtmlReport;
import dev.mixprune.report.RunData;
import dev.mixprune.report.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code report RUN_DIR}: one self-contained HTML page from what the other commands wrote;
 * {@code report DIR1 DIR2 ...} (or a folder of run directories): one comparison page across runs
 * (docs/report.md).
 */
@Command(name = "report",
        description = {"Render a run directory (results.json, plan-*.json, fisher.json, search-trace.json, eval*.json, manifest.json) as one "
                + "self-contained HTML file; with several directories, or a folder holding run directories, one page comparing the runs.",
                "Output: RUN_DIR/report.html, or comparison.html in the runs' common parent folder."})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "run directories (one: its report; several: a comparison page)")
    List<Path> runDirs;
    @Option(names = "--out", description = "HTML file to write (default: RUN_DIR/report.html, or PARENT/comparison.html for several runs)") Path out;

    private final PrintStream stdout;

    public ReportCommand() { this(System.out); }

    ReportCommand(PrintStream stdout) { this.stdout = stdout; }

    @Override public Integer call() throws Exception {
        for (Path d : runDirs) if (!Files.isDirectory(d)) throw new NoSuchFileException(d.toString(), null, "run directory not found");
        List<Path> dirs = runDirs.size() == 1 && !isRunDirectory(runDirs.getFirst()) ? children(runDirs.getFirst()) : runDirs;
        if (dirs.size() == 1) {
            RunData data = RunDirectory.read(dirs.getFirst());
            Path target = out != null ? out : dirs.getFirst().resolve("report.html");
            write(target, HtmlReport.render(data), dirs);
            stdout.println(target);
            return Main.EXIT_OK;
        }
        Path target = out != null ? out : defaultComparisonFile(dirs);
        Path base = target.toAbsolutePath().normalize().getParent();
        List<RunData> runs = new ArrayList<>();
        for (Path d : dirs) runs.add(RunDirectory.read(d));
        String html = ComparisonReport.render(runs, r -> {
            Path report = Path.of(r.runDir()).resolve("report.html");
            return Files.isRegularFile(report) ? base.relativize(report.toAbsolutePath().normalize()).toString().replace('\\', '/') : null;
        });
        write(target, html, dirs);
        stdout.println(target);
        return Main.EXIT_OK;
    }

    /** The page, through an output set: it may not replace one of the JSON files it was made from. */
    private static void write(Path target, String html, List<Path> dirs) throws java.io.IOException {
        List<Path> inputs = new ArrayList<>();
        for (Path d : dirs) {
            inputs.addAll(CommandFiles.model(d, null));
            inputs.remove(d.resolve("report.html"));   // the page it replaces is not read
        }
        try (dev.mixprune.io.OutputSet outs = dev.mixprune.io.OutputSet.begin(inputs, false)) {
            Files.writeString(outs.file(target, dev.mixprune.io.OutputSet.Existing.REPLACE, "--out"), html, StandardCharsets.UTF_8);
            outs.commit();
        }
    }

    /** A directory with any of the files a run writes. */
    static boolean isRunDirectory(Path d) {
        for (String f : List.of("results.json", "manifest.json", "fisher.json", "search-trace.json", "eval.json")) {
            if (Files.exists(d.resolve(f))) return true;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.anyMatch(p -> p.getFileName().toString().matches("(plan|eval)-.*\\.json"));
        } catch (IOException e) {
            return true;
        }
    }

    /** The run directories directly inside a folder (a campaign's output), sorted by name; the folder itself when there are none. */
    static List<Path> children(Path folder) throws IOException {
        List<Path> runs;
        try (Stream<Path> s = Files.list(folder)) {
            runs = s.filter(Files::isDirectory).filter(ReportCommand::isRunDirectory).sorted().toList();
        }
        return runs.isEmpty() ? List.of(folder) : runs;
    }

    /** comparison.html in the deepest folder that holds every run directory. */
    static Path defaultComparisonFile(List<Path> dirs) {
        Path common = null;
        for (Path d : dirs) {
            Path parent = d.toAbsolutePath().normalize().getParent();
            if (parent == null) throw new BadInputException(d + ": a run directory has no parent folder; give --out");
            if (common == null) common = parent;
            while (!parent.startsWith(common)) {
                common = common.getParent();
                if (common == null) throw new BadInputException("the run directories share no folder; give --out");
            }
        }
        return common.resolve("comparison.html");
    }
}
