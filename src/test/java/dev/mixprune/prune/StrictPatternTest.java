package dev.mixprune.prune;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixprune.BadInputException;
import dev.mixprune.model.LayerId;
import dev.mixprune.model.LayerKind;
import dev.mixprune.model.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 13 F6: N:M is parsed strictly, on the command line and in plans. */
class StrictPatternTest {
    /** 64 inputs to q/k/v/w1/w3 and wo, 172 to w2: stories260K's shape. */
    static final LlamaConfig STORIES = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, true);

    @Test
    void onlyNColonMWithOneLessOrEqualNLessThanM() {
        assertThat(Pattern.parseNM("2:4")).isEqualTo(new Pattern.NM(2, 4));
        assertThat(Pattern.parseNM(" 2:8 ")).isEqualTo(new Pattern.NM(2, 8));
        assertThat(Pattern.parseNM("02:08")).isEqualTo(new Pattern.NM(2, 8));
        for (String bad : List.of("2:4:8", "2:", ":4", "2 : 4", "2:4x", "-1:4", "+2:4", "0:4", "4:4", "5:4", "2.0:4", "0.5", "2", "", "1e1:20",
                "9999999999:2", "2:9999999999", "unstructured:0.5", "n:m")) {
            assertThatThrownBy(() -> Pattern.parseNM(bad)).as("'%s'", bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void planEntriesAreTheWrittenTextFormsOnly() {
        assertThat(Pattern.parse("unstructured:0.7")).isEqualTo(new Pattern.Unstructured(0.7));
        assertThat(Pattern.parse("3:8")).isEqualTo(new Pattern.NM(3, 8));
        for (String bad : List.of("0.7", "70%", "unstructured:", "unstructured:1.0", "unstructured:-0.1", "unstructured:0.7:1", "unstructured: 0.7x",
                "2:4:8", "two:four", "NaN", "unstructured:NaN")) {
            assertThatThrownBy(() -> Pattern.parse(bad)).as("'%s'", bad).isInstanceOf(IllegalArgumentException.class);
        }
        // Every pattern reads back from its own text.
        for (Pattern p : List.of(new Pattern.NM(1, 2), new Pattern.NM(7, 16), new Pattern.Unstructured(0), new Pattern.Unstructured(0.725),
                new Pattern.Unstructured(1e-5))) {
            assertThat(Pattern.parse(p.text())).isEqualTo(p);
        }
    }

    @Test
    void aPlanWithBareNumbersDuplicatesOrMalformedPatternsIsBadInput(@TempDir Path dir) throws Exception {
        for (Object bad : List.of(0.7, 2, "0.7", "2:4:8", true)) {
            ObjectNode json = SparsityPlan.uniform(STORIES, new Pattern.NM(2, 4)).toJson();
            ObjectNode layers = (ObjectNode) json.path("layers");
            if (bad instanceof Double d) layers.put("blk.0.wq", d);
            else if (bad instanceof Integer i) layers.put("blk.0.wq", i);
            else if (bad instanceof Boolean b) layers.put("blk.0.wq", b);
            else layers.put("blk.0.wq", (String) bad);
            Path f = Files.writeString(dir.resolve("plan.json"), json.toString());
            assertThatThrownBy(() -> SparsityPlan.load(f)).as("%s", bad).isInstanceOf(BadInputException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining("blk.0.wq");
        }
        // The same layer twice (JSON key repeated, or spelled blk.00.wq) is refused, not "last one wins".
        String text = SparsityPlan.uniform(STORIES, new Pattern.NM(2, 4)).toJson().toString();
        Path twice = Files.writeString(dir.resolve("twice.json"), text.replace("\"blk.0.wq\":\"2:4\"", "\"blk.0.wq\":\"2:4\",\"blk.0.wq\":\"1:4\""));
        assertThatThrownBy(() -> SparsityPlan.load(twice)).isInstanceOf(BadInputException.class).hasMessageContaining("blk.0.wq");
        Path alias = Files.writeString(dir.resolve("alias.json"), text.replace("\"blk.0.wq\":\"2:4\"", "\"blk.0.wq\":\"2:4\",\"blk.00.wq\":\"1:4\""));
        assertThatThrownBy(() -> SparsityPlan.load(alias)).isInstanceOf(BadInputException.class).hasMessageContaining("given twice");
    }

    /**
     * protocols.md S: a row that is not a multiple of M ends in a shorter group keeping at most N.
     * So 2:3 on 64-wide rows is a valid pattern (21 groups of 3 and a tail of 1); what is refused is
     * M wider than a row, where no group of M exists at all.
     */
    @Test
    void mMayNotDivideTheRowButMayNotExceedIt() {
        SparsityPlan ok = SparsityPlan.uniform(STORIES, new Pattern.NM(2, 3));
        ok.checkFits(STORIES, "plan");
        assertThat(new Pattern.NM(2, 3).prunedCount(1, 64)).isEqualTo(21);
        assertThat(SparsityPlan.maxGroupSize(STORIES)).isEqualTo(64);
        SparsityPlan.uniform(STORIES, new Pattern.NM(2, 64)).checkFits(STORIES, "plan");
        java.util.Map<LayerId, Pattern> layers = new java.util.TreeMap<>(SparsityPlan.uniform(STORIES, new Pattern.NM(2, 4)).layers());
        layers.put(new LayerId(1, LayerKind.WQ), new Pattern.NM(2, 128));
        layers.put(new LayerId(1, LayerKind.W2), new Pattern.NM(2, 128));   // 172 inputs: fine
        SparsityPlan wide = new SparsityPlan("test", SparsityPlan.ModelShape.of(STORIES), layers);
        assertThatThrownBy(() -> wide.checkFits(STORIES, "p.json")).isInstanceOf(BadInputException.class)
                .hasMessageContaining("blk.1.wq").hasMessageContaining("at least M = 128").hasMessageContaining("has 64");
    }
}
