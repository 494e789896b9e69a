package dev.mixprune.run;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.mixprune.BadInputException;
import dev.mixprune.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A recipe: every setting of {@code mixprune run} in one JSON or YAML file (docs/recipes.md), like
 * llm-compressor's recipes. {@code run --config FILE} reads one; every run directory gets
 * {@code recipe.json} with every value resolved (defaults included, paths as used), so that
 * {@code run --config runs/X/recipe.json --out runs/Y} repeats run X.
 *
 * <p>A recipe is a structured spelling of {@code run}'s options: {@link #toArgs} turns it into the
 * command-line arguments it stands for (skipping the options given on the real command line, which
 * override the file), so one parser, one set of defaults and one set of checks serve both. The
 * schema is {@link #KEYS}: a key per option, grouped; unknown keys are an error (a typo must not be
 * silently ignored). Values: strings, numbers, booleans, lists (written as comma-separated option
 * values) or null (= the option's default).
 */
public final class Recipe {
    private Recipe() {}

    public static final String FORMAT = "mixprune.recipe";
    public static final int VERSION = 1;

    /** One recipe key: its path ("search.generations") and the option of {@code run} it sets. */
    public record Key(String path, String option, Kind kind) {}

    /** VALUE: the option takes the value; LIST: a comma-separated list; FLAG_OFF: boolean true = the option absent (e.g. models = !--no-models). */
    public enum Kind { VALUE, LIST, FLAG_OFF }

    /** The schema, in the order recipe.json is written. */
    public static final List<Key> KEYS = List.of(
            new Key("model", "--model", Kind.VALUE),
            new Key("tokenizer", "--tokenizer", Kind.VALUE),
            new Key("method", "--method", Kind.VALUE),
            new Key("target", "--sparsity", Kind.VALUE),
            new Key("levels", "--levels", Kind.VALUE),
            new Key("step", "--step", Kind.VALUE),
            new Key("granularity", "--granularity", Kind.VALUE),
            new Key("allocations", "--allocations", Kind.LIST),
            new Key("seed", "--seed", Kind.VALUE),
            new Key("calibration.file", "--calib", Kind.VALUE),
            new Key("calibration.nsamples", "--nsamples", Kind.VALUE),
            new Key("calibration.seqlen", "--seqlen", Kind.VALUE),
            new Key("fisher.samples", "--fisher-samples", Kind.VALUE),
            new Key("fisher.file", "--fisher", Kind.VALUE),
            new Key("search.generations", "--generations", Kind.VALUE),
            new Key("search.population", "--population", Kind.VALUE),
            new Key("search.parents", "--parents", Kind.VALUE),
            new Key("search.stage_tokens", "--stage-tokens", Kind.LIST),
            new Key("search.stage_survivors", "--stage-survivors", Kind.LIST),
            new Key("search.fitness_windows", "--fitness-windows", Kind.VALUE),
            new Key("search.seed", "--search-seed", Kind.VALUE),
            new Key("evaluation.file", "--eval", Kind.VALUE),
            new Key("evaluation.windows", "--eval-windows", Kind.VALUE),
            new Key("evaluation.tasks", "--tasks", Kind.LIST),
            new Key("evaluation.task_limit", "--task-limit", Kind.VALUE),
            new Key("evaluation.tasks_dir", "--tasks-dir", Kind.VALUE),
            new Key("recovery.steps", "--recover", Kind.VALUE),
            new Key("output.models", "--no-models", Kind.FLAG_OFF));

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Reads a recipe: YAML for *.yaml / *.yml, JSON otherwise; checks every key and value type. */
    public static ObjectNode read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        JsonNode root;
        try {
            root = (name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON).readTree(Files.readAllBytes(file));
        } catch (JacksonException e) {
            throw BadInputException.in(file, "not valid " + (name.endsWith(".json") ? "JSON" : "YAML/JSON") + ": " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw BadInputException.in(file, "a recipe must be an object of settings (docs/recipes.md)");
        check((ObjectNode) root, file);
        return (ObjectNode) root;
    }

    private static void check(ObjectNode root, Path file) {
        JsonNode f = root.get("format");
        if (f != null && !FORMAT.equals(f.asText())) throw BadInputException.in(file, "field 'format' must be '" + FORMAT + "', got " + f);
        JsonNode v = root.get("version");
        if (v != null && (!v.canConvertToInt() || v.asInt() != VERSION)) {
            throw BadInputException.in(file, "field 'version' must be " + VERSION + " (this mixprune reads recipe version " + VERSION + "), got " + v);
        }
        Set<String> groups = new java.util.LinkedHashSet<>();
        for (Key k : KEYS) if (k.path().contains(".")) groups.add(k.path().substring(0, k.path().indexOf('.')));
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.equals("format") || key.equals("version")) continue;
            if (groups.contains(key)) {
                if (e.getValue().isNull()) continue;
                if (!e.getValue().isObject()) throw BadInputException.in(file, "'" + key + "' must be an object of " + key + " settings, got " + e.getValue());
                for (Iterator<Map.Entry<String, JsonNode>> jt = e.getValue().fields(); jt.hasNext(); ) {
                    Map.Entry<String, JsonNode> inner = jt.next();
                    checkValue(key + "." + inner.getKey(), inner.getValue(), file);
                }
            } else {
                checkValue(key, e.getValue(), file);
            }
        }
    }

    private static void checkValue(String path, JsonNode v, Path file) {
        Key k = key(path);
        if (k == null) throw BadInputException.in(file, "unknown key '" + path + "'; a recipe has: " + String.join(", ", KEYS.stream().map(Key::path).toList()));
        switch (k.kind()) {
            case VALUE -> {
                if (!v.isNull() && !v.isValueNode()) throw BadInputException.in(file, "'" + path + "' must be a string or a number, got " + v);
            }
            case LIST -> {
                if (v.isArray()) {
                    for (JsonNode x : v) if (!x.isValueNode() || x.isNull()) throw BadInputException.in(file, "'" + path + "' must be a list of strings or numbers, got " + v);
                } else if (!v.isNull() && !v.isValueNode()) {
                    throw BadInputException.in(file, "'" + path + "' must be a list (or one comma-separated string), got " + v);
                }
            }
            case FLAG_OFF -> {
                if (!v.isNull() && !v.isBoolean()) throw BadInputException.in(file, "'" + path + "' must be true or false, got " + v);
            }
        }
    }

    static Key key(String path) {
        for (Key k : KEYS) if (k.path().equals(path)) return k;
        return null;
    }

    static JsonNode at(JsonNode root, String path) {
        JsonNode n = root;
        for (String part : path.split("\\.")) n = n == null ? null : n.get(part);
        return n;
    }

    /**
     * The command-line arguments a recipe stands for, leaving out every option in {@code given}
     * (the options on the real command line, which win) and every null value (the option's default).
     */
    public static List<String> toArgs(ObjectNode recipe, Set<String> given) {
        List<String> args = new ArrayList<>();
        for (Key k : KEYS) {
            if (given.contains(k.option())) continue;
            JsonNode v = at(recipe, k.path());
            if (v == null || v.isNull()) continue;
            switch (k.kind()) {
                case VALUE -> { args.add(k.option()); args.add(v.asText()); }
                case LIST -> {
                    List<String> parts = new ArrayList<>();
                    if (v.isArray()) for (JsonNode x : v) parts.add(x.asText());
                    else parts.add(v.asText());
                    args.add(k.option());
                    args.add(parts.isEmpty() ? "none" : String.join(",", parts));
                }
                case FLAG_OFF -> { if (!v.asBoolean()) args.add(k.option()); }
            }
        }
        return args;
    }

    /**
     * Builds a recipe from resolved values, one per {@link #KEYS} path (null values are written as
     * null: "the option's default" where the default is nothing, e.g. no tokenizer file).
     */
    public static ObjectNode of(Map<String, Object> values) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION);
        Map<String, ObjectNode> groups = new LinkedHashMap<>();
        for (Key k : KEYS) {
            if (!values.containsKey(k.path())) throw new IllegalArgumentException("no value for recipe key " + k.path());
            ObjectNode parent = root;
            String name = k.path();
            int dot = name.indexOf('.');
            if (dot > 0) {
                parent = groups.computeIfAbsent(name.substring(0, dot), root::putObject);
                name = name.substring(dot + 1);
            }
            put(parent, name, values.get(k.path()));
        }
        return root;
    }

    private static void put(ObjectNode o, String name, Object v) {
        switch (v) {
            case null -> o.putNull(name);
            case Boolean b -> o.put(name, b);
            case Integer i -> o.put(name, i);
            case Long l -> o.put(name, l);
            case Double d -> o.put(name, d);
            case Path p -> o.put(name, p.toString());
            case List<?> list -> {
                ArrayNode a = o.putArray(name);
                for (Object x : list) {
                    if (x instanceof Integer i) a.add(i);
                    else a.add(String.valueOf(x));
                }
            }
            default -> o.put(name, v.toString());
        }
    }

    public static void write(ObjectNode recipe, Path file) throws IOException {
        AtomicFiles.write(file, (JSON.writeValueAsString(recipe) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
