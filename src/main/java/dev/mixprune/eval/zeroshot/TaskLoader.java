package dev.mixprune.eval.zeroshot;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a task's JSONL file(s) into documents; bad lines fail with file, line and field. */
public final class TaskLoader {
    private TaskLoader() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** All documents of {@code task} from {@code tasksDir} (the files of {@link ZeroShotTask#files()} in order). */
    public static List<Doc> load(ZeroShotTask task, Path tasksDir) throws IOException {
        List<Doc> docs = new ArrayList<>();
        for (String name : task.files()) {
            Path file = tasksDir.resolve(name);
            if (!Files.exists(file)) throw BadInputException.in(file, "task file for '" + task.id() + "' not found");
            int lineNo = 0;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    JsonNode o;
                    try {
                        o = JSON.readTree(line);
                    } catch (JacksonException e) {
                        throw BadInputException.in(file, "line " + lineNo + ": not valid JSON: " + e.getOriginalMessage());
                    }
                    if (o == null || !o.isObject()) throw BadInputException.in(file, "line " + lineNo + ": expected a JSON object");
                    try {
                        docs.add(task.toDoc(docs.size(), o));
                    } catch (IllegalArgumentException e) {
                        throw BadInputException.in(file, "line " + lineNo + ": " + e.getMessage());
                    }
                }
            } catch (java.nio.charset.CharacterCodingException e) {
                throw BadInputException.in(file, "line " + (lineNo + 1) + ": not valid UTF-8");
            }
        }
        if (docs.isEmpty()) throw BadInputException.in(tasksDir.resolve(task.files().getFirst()), "no documents");
        return docs;
    }
}
