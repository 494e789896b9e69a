package dev.mixprune.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.run.Recipe;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code run --config FILE} and {@code recipe.json}: the bridge between a {@link Recipe} and the
 * options of {@link RunCommand}. Reading turns the recipe into the arguments it stands for and
 * parses them together with the real command line (whose options win); writing takes every
 * recipe option's resolved value from the parsed command, so a new default cannot be forgotten.
 */
final class RunRecipe {
    private RunRecipe() {}

    /**
     * Options of {@code run} that are not part of a recipe: where the output goes, how the run is
     * shown, and how it is computed (threads, memory, scratch space, cluster) - none of them changes
     * a plan or a number. {@code RunRecipeTest} checks that every other option has a recipe key.
     */
    static final Set<String> INVOCATION_OPTIONS = Set.of("--config", "--out", "--quiet", "--json", "--force", "--threads",
            "--max-memory", "--work-dir", "--cluster", "--members", "--bind", "--cluster-port", "--models-root", "--wait-workers",
            "--help", "--version", "--pattern");

    /**
     * The run command the recipe file and the real command line make together: a fresh
     * {@link RunCommand} parsed from the recipe's arguments followed by the command line's (without
     * {@code --config}). A recipe value the option parser refuses is reported against the file.
     */
    static RunCommand resolve(Path config, CommandSpec invoked) throws IOException {
        ObjectNode recipe = Recipe.read(config);
        ParseResult pr = invoked.commandLine().getParseResult();
        Set<String> given = new HashSet<>();
        for (OptionSpec o : pr.matchedOptions()) given.addAll(Arrays.asList(o.names()));
        if (given.contains("--pattern")) given.add("--levels");  // the old name of --levels
        List<String> fromFile = Recipe.toArgs(recipe, given);
        List<String> args = new ArrayList<>(fromFile);
        List<String> original = pr.originalArgs();
        // Under Main the arguments start with "run" (and whatever preceded it); only run's own are re-parsed.
        int first = invoked.commandLine().getParent() != null ? original.indexOf(invoked.name()) + 1 : 0;
        for (int i = first; i < original.size(); i++) {
            String a = original.get(i);
            if (a.equals("--config")) { i++; continue; }
            if (a.startsWith("--config=")) continue;
            args.add(a);
        }
        RunCommand resolved = new RunCommand();
        CommandLine cl = new CommandLine(resolved);
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            // Only the file's values can be wrong here: the command line alone parsed already.
            throw BadInputException.in(config, "recipe value refused: " + e.getMessage());
        }
        resolved.invokedAs = new ArrayList<>(List.of("mixprune"));
        resolved.invokedAs.addAll(original);
        return resolved;
    }

    /**
     * The resolved recipe of a parsed run command: every key's value as the run uses it. Values the
     * command works out itself (default files, search defaults) come in {@code resolved}, keyed by
     * recipe path; everything else is the option's parsed value (its default when not given).
     */
    static ObjectNode of(CommandSpec spec, Map<String, Object> resolved) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Recipe.Key k : Recipe.KEYS) {
            if (resolved.containsKey(k.path())) {
                values.put(k.path(), resolved.get(k.path()));
                continue;
            }
            OptionSpec o = spec.findOption(k.option());
            if (o == null) throw new IllegalStateException("recipe key " + k.path() + ": run has no option " + k.option());
            Object v = o.getValue();
            values.put(k.path(), switch (k.kind()) {
                case FLAG_OFF -> !Boolean.TRUE.equals(v);
                case LIST -> v instanceof int[] a ? Arrays.stream(a).boxed().toList() : v;
                case VALUE -> v instanceof Path p ? p.toAbsolutePath().normalize() : v;
            });
        }
        return Recipe.of(values);
    }
}
