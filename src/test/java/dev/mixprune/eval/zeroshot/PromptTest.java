package dev.mixprune.eval.zeroshot;

import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One real document per task against hand-written harness strings (docs/algorithms.md §8.2). */
class PromptTest {
    private static final Path TASKS = SharedFiles.resolve("data/tasks");

    private static Doc doc(ZeroShotTask t, int i) throws Exception {
        return TaskLoader.load(t, SharedFiles.require(TASKS)).get(i);
    }

    private static void assertRequests(Doc d, List<String> contexts, List<String> continuations) {
        assertThat(d.requests()).extracting(Request::context).containsExactlyElementsOf(contexts);
        assertThat(d.requests()).extracting(Request::continuation).containsExactlyElementsOf(continuations);
    }

    @Test
    void boolq() throws Exception {
        Doc d = doc(ZeroShotTask.BOOLQ, 8);
        String ctx = "Persons driving into Canada must have their vehicle's registration document and proof of insurance."
                + "\nQuestion: can u drive in canada with us license?\nAnswer:";
        assertRequests(d, List.of(ctx, ctx), List.of(" no", " yes"));
        assertThat(d.gold()).isEqualTo(1); // answer true = yes
        Doc d0 = doc(ZeroShotTask.BOOLQ, 0);
        assertThat(d0.requests().getFirst().context()).startsWith("All biomass goes through")
                .endsWith("than producing gasoline.\nQuestion: does ethanol take more energy make that produces?\nAnswer:");
        assertThat(d0.gold()).isEqualTo(0);
    }

    @Test
    void rte() throws Exception {
        Doc d = doc(ZeroShotTask.RTE, 0);
        String ctx = "Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44, according to the Christopher Reeve Foundation."
                + "\nQuestion: Christopher Reeve had an accident. True or False?\nAnswer:";
        assertRequests(d, List.of(ctx, ctx), List.of(" True", " False"));
        assertThat(d.gold()).isEqualTo(1); // label 1 = not entailment = False
    }

    @Test
    void hellaswag() throws Exception {
        Doc d = doc(ZeroShotTask.HELLASWAG, 0);
        String ctx = "Roof shingle removal: A man is sitting on a roof. He";
        assertRequests(d, List.of(ctx, ctx, ctx, ctx), List.of(" is using wrap to wrap a pair of skis.", " is ripping level tiles off.",
                " is holding a rubik's cube.", " starts pulling up roofing on a roof."));
        assertThat(d.choices()).containsExactly("is using wrap to wrap a pair of skis.", "is ripping level tiles off.",
                "is holding a rubik's cube.", "starts pulling up roofing on a roof.");
        assertThat(d.gold()).isEqualTo(3);
        // The three parts are one list in order: 3347 + 3347 + 3348.
        List<Doc> all = TaskLoader.load(ZeroShotTask.HELLASWAG, TASKS);
        assertThat(all).hasSize(10042);
        assertThat(all.get(3347).requests().getFirst().context()).startsWith("Personal Care and Style: How to protect an education savings account");
    }

    @Test
    void winograndeHasTwoContextsAndOneContinuation() throws Exception {
        Doc d = doc(ZeroShotTask.WINOGRANDE, 0);
        assertRequests(d, List.of("Sarah was a much better surgeon than Maria so Sarah", "Sarah was a much better surgeon than Maria so Maria"),
                List.of(" always got the easier cases.", " always got the easier cases."));
        assertThat(d.gold()).isEqualTo(1);
    }

    @Test
    void arcEasyAndChallenge() throws Exception {
        Doc e = doc(ZeroShotTask.ARC_EASY, 0);
        String ce = "Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:";
        assertRequests(e, List.of(ce, ce, ce, ce), List.of(" Sunlight is the source of energy for nearly all ecosystems.",
                " Most ecosystems are found on land instead of in water.", " Carbon dioxide is more available than other gases.",
                " The producers in all ecosystems are plants."));
        assertThat(e.gold()).isEqualTo(0);
        Doc c = doc(ZeroShotTask.ARC_CHALLENGE, 0);
        String cc = "Question: An astronomer observes that a planet rotates faster after a meteorite impact. "
                + "Which is the most likely effect of this increase in rotation?\nAnswer:";
        assertThat(c.requests().get(2)).isEqualTo(new Request(cc, " Planetary days will become shorter."));
        assertThat(c.gold()).isEqualTo(2);
    }

    @Test
    void openbookqaHasNoQuestionPrefix() throws Exception {
        Doc d = doc(ZeroShotTask.OPENBOOKQA, 0);
        String ctx = "A person wants to start saving money so that they can afford a nice vacation at the end of the year. "
                + "After looking over their budget and expenses, they decide the best way to save money is to";
        assertRequests(d, List.of(ctx, ctx, ctx, ctx), List.of(" make more phone calls", " quit eating lunch out",
                " buy less with monopoly money", " have lunch with friends"));
        assertThat(d.gold()).isEqualTo(1);
    }

    @Test
    void piqa() throws Exception {
        Doc d = doc(ZeroShotTask.PIQA, 0);
        String ctx = "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:";
        assertThat(d.requests().get(0)).isEqualTo(new Request(ctx, " Provide the guinea pig with a cage full of a few inches of bedding made of "
                + "ripped paper strips, you will also need to supply it with a water bottle and a food dish."));
        assertThat(d.requests().get(1).continuation()).contains("ripped jeans material");
        assertThat(d.gold()).isEqualTo(0);
    }

    @Test
    void documentCountsMatchTheDataReadme() throws Exception {
        int[] expected = {3270, 277, 10042, 1267, 2376, 1172, 500, 1838};
        ZeroShotTask[] tasks = ZeroShotTask.values();
        for (int i = 0; i < tasks.length; i++) {
            if (tasks[i] == ZeroShotTask.HELLASWAG) continue; // counted above
            assertThat(TaskLoader.load(tasks[i], TASKS)).as(tasks[i].id()).hasSize(expected[i]);
        }
    }
}
