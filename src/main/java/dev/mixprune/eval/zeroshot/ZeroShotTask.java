package dev.mixprune.eval.zeroshot;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The 8 zero-shot tasks with lm-evaluation-harness prompts (docs/algorithms.md §8.2) over the
 * shared data's fields (data/README.md). {@link #toDoc} turns one JSON line into a {@link Doc}.
 */
public enum ZeroShotTask {
    BOOLQ("boolq", false, "boolq.jsonl"),
    RTE("rte", false, "rte.jsonl"),
    HELLASWAG("hellaswag", true, "hellaswag.part1of3.jsonl", "hellaswag.part2of3.jsonl", "hellaswag.part3of3.jsonl"),
    WINOGRANDE("winogrande", false, "winogrande.jsonl"),
    ARC_EASY("arc_easy", true, "arc_easy.jsonl"),
    ARC_CHALLENGE("arc_challenge", true, "arc_challenge.jsonl"),
    OPENBOOKQA("openbookqa", true, "openbookqa.jsonl"),
    PIQA("piqa", true, "piqa.jsonl");

    /** The target delimiter every continuation starts with. */
    public static final String DELIMITER = " ";

    private final String id;
    private final boolean hasAccNorm;
    private final List<String> files;

    ZeroShotTask(String id, boolean hasAccNorm, String... files) {
        this.id = id;
        this.hasAccNorm = hasAccNorm;
        this.files = List.of(files);
    }

    /** Harness task name ("arc_easy"). */
    public String id() { return id; }

    /** Whether the harness reports acc_norm for this task. */
    public boolean hasAccNorm() { return hasAccNorm; }

    /** Files under data/tasks, concatenated in this order. */
    public List<String> files() { return files; }

    /**
     * The task's lm-evaluation-harness YAML (v0.4 / HEAD, lm_eval/tasks/...): dataset, the split
     * scored, prompt templates and task version, written into the results file's {@code configs}
     * and {@code versions} so that tools reading lm-eval results recognise the task.
     *
     * @param split "test" or "validation": the split the harness scores (docs/algorithms.md §8.1)
     */
    public record HarnessConfig(String datasetPath, String datasetName, String split, String docToText, String docToTarget,
                                String docToChoice, double version) {}

    public HarnessConfig harnessConfig() {
        return switch (this) {
            case BOOLQ -> new HarnessConfig("aps/super_glue", "boolq", "validation", "{{passage}}\nQuestion: {{question}}?\nAnswer:",
                    "label", "['no', 'yes']", 2.0);
            case RTE -> new HarnessConfig("nyu-mll/glue", "rte", "validation", "{{sentence1}}\nQuestion: {{sentence2}} True or False?\nAnswer:",
                    "label", "['True', 'False']", 1.0);
            case HELLASWAG -> new HarnessConfig("Rowan/hellaswag", null, "validation", "{{query}}", "{{label}}", "choices", 1.0);
            case WINOGRANDE -> new HarnessConfig("allenai/winogrande", "winogrande_xl", "validation", "<function doc_to_text>",
                    "<function doc_to_target>", "<function doc_to_choice>", 1.0);
            case ARC_EASY, ARC_CHALLENGE -> new HarnessConfig("allenai/ai2_arc", this == ARC_EASY ? "ARC-Easy" : "ARC-Challenge", "test",
                    "Question: {{question}}\nAnswer:", "{{choices.label.index(answerKey)}}", "{{choices.text}}", 1.0);
            case OPENBOOKQA -> new HarnessConfig("allenai/openbookqa", "main", "test", "question_stem",
                    "{{choices.label.index(answerKey.lstrip())}}", "{{choices.text}}", 1.0);
            case PIQA -> new HarnessConfig("baber/piqa", null, "validation", "Question: {{goal}}\nAnswer:", "label", "{{[sol1, sol2]}}", 1.0);
        };
    }

    public static ZeroShotTask byId(String id) {
        for (ZeroShotTask t : values()) if (t.id.equals(id.trim().toLowerCase(java.util.Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown task '" + id + "', expected one of " + ids() + " or all");
    }

    public static List<String> ids() {
        List<String> r = new ArrayList<>();
        for (ZeroShotTask t : values()) r.add(t.id);
        return r;
    }

    /** Builds the document from one JSON object; a missing or malformed field throws IllegalArgumentException naming it. */
    public Doc toDoc(int index, JsonNode o) {
        Fields f = new Fields(o);
        return switch (this) {
            case BOOLQ -> {
                // df3da98: acc = (ll_yes > ll_no) == answer, so a tie predicts "no": choices [no, yes] + first-on-ties argmax.
                String ctx = f.text("passage") + "\nQuestion: " + f.text("question") + "?\nAnswer:";
                yield choices(index, ctx, List.of("no", "yes"), f.bool("answer") ? 1 : 0);
            }
            case RTE -> {
                // label 0 = entailment = True; pred = 1 iff ll_False > ll_True, so a tie predicts True.
                String ctx = f.text("sentence1") + "\nQuestion: " + f.text("sentence2") + " True or False?\nAnswer:";
                yield choices(index, ctx, List.of("True", "False"), f.integer("label", 2));
            }
            case HELLASWAG -> {
                String query = o.has("ctx_a")
                        ? HellaSwagText.query(f.text("activity_label"), f.text("ctx_a"), f.text("ctx_b"))
                        : HellaSwagText.queryFromJoined(f.text("context"));
                List<String> endings = f.texts("endings");
                List<String> pre = endings.stream().map(HellaSwagText::preprocess).toList();
                yield choices(index, query, pre, f.integer("label", endings.size()));
            }
            case WINOGRANDE -> {
                // Partial evaluation: two contexts (sentence up to the blank + option), one shared continuation.
                List<String> contexts = f.texts("contexts");
                if (contexts.size() != 2) throw new IllegalArgumentException("field 'contexts' must hold 2 strings, got " + contexts.size());
                String cont = DELIMITER + PyText.strip(f.text("continuation"));
                List<Request> reqs = contexts.stream().map(c -> new Request(c, cont)).toList();
                // acc only; the choice texts are the options' contexts (acc_norm is not reported for this task).
                yield new Doc(index, reqs, f.integer("gold", 2), contexts);
            }
            case ARC_EASY, ARC_CHALLENGE -> {
                List<String> ch = f.texts("choices");
                yield choices(index, "Question: " + f.text("question") + "\nAnswer:", ch, f.integer("gold", ch.size()));
            }
            case OPENBOOKQA -> {
                List<String> ch = f.texts("choices");
                yield choices(index, f.text("question_stem"), ch, f.integer("gold", ch.size()));
            }
            case PIQA -> choices(index, "Question: " + f.text("goal") + "\nAnswer:",
                    List.of(f.text("sol1"), f.text("sol2")), f.integer("label", 2));
        };
    }

    /** One context, continuations " " + choice. */
    private static Doc choices(int index, String ctx, List<String> choices, int gold) {
        List<Request> reqs = choices.stream().map(c -> new Request(ctx, DELIMITER + c)).toList();
        return new Doc(index, reqs, gold, choices);
    }

    /** Required-field access with messages that name the field and what was expected. */
    private record Fields(JsonNode o) {
        private JsonNode field(String name) {
            JsonNode v = o.get(name);
            if (v == null || v.isNull()) throw new IllegalArgumentException("field '" + name + "' is missing");
            return v;
        }

        String text(String name) {
            JsonNode v = field(name);
            if (!v.isTextual()) throw new IllegalArgumentException("field '" + name + "' must be a string, got " + v.getNodeType());
            return v.asText();
        }

        boolean bool(String name) {
            JsonNode v = field(name);
            if (!v.isBoolean()) throw new IllegalArgumentException("field '" + name + "' must be true or false, got " + v);
            return v.asBoolean();
        }

        int integer(String name, int bound) {
            JsonNode v = field(name);
            if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("field '" + name + "' must be an integer, got " + v);
            int i = v.asInt();
            if (i < 0 || i >= bound) throw new IllegalArgumentException("field '" + name + "' must be in 0.." + (bound - 1) + ", got " + i);
            return i;
        }

        List<String> texts(String name) {
            JsonNode v = field(name);
            if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException("field '" + name + "' must be a non-empty array of strings");
            List<String> r = new ArrayList<>();
            for (JsonNode e : v) {
                if (!e.isTextual()) throw new IllegalArgumentException("field '" + name + "' must hold only strings, got " + e.getNodeType());
                r.add(e.asText());
            }
            return r;
        }
    }
}
