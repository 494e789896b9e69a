package dev.mixprune.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** One set of options (issue 14): help text and default on every option, --threads and -q on every computing command, one name per concept. */
class OptionsTest {
    /** Commands that compute (model passes); inspect, report and tokenize only read and format. */
    static final Set<String> COMPUTING = Set.of("generate", "ppl", "sensitivity", "search", "prune", "eval", "run", "pack", "quantize", "recover");

    static Map<String, CommandLine> subcommands() {
        return new CommandLine(new Main()).getSubcommands();
    }

    @Test
    void everyOptionHasHelpTextAndShowsItsDefault() {
        List<String> bad = new ArrayList<>();
        for (var e : subcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            CommandSpec spec = e.getValue().getCommandSpec();
            for (OptionSpec o : spec.options()) {
                if (o.hidden() || o.usageHelp() || o.versionHelp()) continue;
                String text = String.join(" ", o.description()).toLowerCase(Locale.ROOT);
                String name = e.getKey() + " " + o.longestName();
                if (text.isBlank()) { bad.add(name + ": no help text"); continue; }
                boolean flag = o.arity().max() == 0;  // a switch: off unless given
                if (!flag && !o.required() && !text.contains("default")) bad.add(name + ": help does not show the default");
            }
        }
        assertThat(bad).isEmpty();
    }

    @Test
    void everyComputingCommandTakesThreadsAndQuiet() {
        for (String c : COMPUTING) {
            CommandSpec spec = subcommands().get(c).getCommandSpec();
            assertThat(spec.findOption("--threads")).as(c + " --threads").isNotNull();
            assertThat(spec.findOption("-q")).as(c + " -q").isNotNull();
            assertThat(spec.findOption("--quiet")).as(c + " --quiet").isNotNull();
        }
    }

    @Test
    void oneNamePerConcept() {
        // The search space (levels each layer can take) is --levels everywhere; --pattern is only prune's uniform N:M.
        for (String c : List.of("run", "search", "prune")) {
            OptionSpec levels = subcommands().get(c).getCommandSpec().findOption("--levels");
            assertThat(levels).as(c + " --levels").isNotNull();
            assertThat(levels.hidden()).isFalse();
        }
        for (String c : List.of("run", "search")) {
            OptionSpec old = subcommands().get(c).getCommandSpec().findOption("--pattern");
            assertThat(old == null || old.hidden()).as(c + ": --pattern is at most a hidden old name").isTrue();
        }
        // Fisher windows: --fisher-samples wherever Fisher traces are computed from a window count.
        for (String c : List.of("run", "sensitivity")) {
            assertThat(subcommands().get(c).getCommandSpec().findOption("--fisher-samples")).as(c).isNotNull();
        }
        OptionSpec oldSamples = subcommands().get("sensitivity").getCommandSpec().findOption("--samples");
        assertThat(oldSamples == null || oldSamples.hidden()).isTrue();
    }

    @Test
    void threadsReachTheKernelsAndAreChecked() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PplCommand ppl = new PplCommand(new PrintStream(java.io.OutputStream.nullOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = Main.execute(Main.commandLine(ppl), "--threads", "1",
                "--model", dev.mixprune.SharedFiles.require(dev.mixprune.SharedFiles.stories260KBin()).toString(),
                "--text", dev.mixprune.SharedFiles.require(dev.mixprune.SharedFiles.tinyStoriesValid()).toString(), "--limit", "1");
        assertThat(code).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("threads=1");
        assertThat(Main.execute("ppl", "--threads", "0", "--model", "m.bin", "--text", "t.txt")).isEqualTo(Main.EXIT_USAGE);
    }
}
