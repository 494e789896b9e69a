package dev.mixprune.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options every computing command shares, with one name and one meaning everywhere:
 * {@code --threads N} and {@code -q/--quiet}. {@link Main} runs a command given {@code --threads}
 * inside {@code ThreadTeam.callWith} with a team of N threads, so every kernel of the command uses N.
 */
public final class ComputeOptions {
    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    private Integer threads;

    @Option(names = {"-q", "--quiet"}, description = "no progress or diagnostics on stderr (results still go to stdout)")
    boolean quiet;

    @Option(names = "--threads", paramLabel = "N",
            description = "threads to compute with (default: one per core; results do not depend on it)")
    void threads(int n) {
        if (n < 1) throw new CommandLine.ParameterException(mixee.commandLine(), "--threads: expected at least 1, got " + n);
        threads = n;
    }

    public boolean quiet() { return quiet; }

    /** The --threads value, or null when not given (one per core). */
    public Integer threads() { return threads; }
}
