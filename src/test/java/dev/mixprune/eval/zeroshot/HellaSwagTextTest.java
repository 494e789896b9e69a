package dev.mixprune.eval.zeroshot;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HellaSwagTextTest {
    @Test
    void preprocessStripsTitlesBracketsAndDoubleSpacesOnce() {
        assertThat(HellaSwagText.preprocess("  [header] How to cook rice [title] Rinse the rice. [step] Put it in a pot.  "))
                .isEqualTo(" How to cook rice. Rinse the rice. Put it in a pot."); // strip runs first: the space before [header] stays (as in Python)
        // Non-greedy: two bracketed groups are removed separately, text between them stays.
        assertThat(HellaSwagText.preprocess("a [x] b [y] c")).isEqualTo("a b c");
        // One left-to-right pass of "  " -> " ": four spaces become two, three become two.
        assertThat(HellaSwagText.preprocess("a    b")).isEqualTo("a  b");
        assertThat(HellaSwagText.preprocess("a   b")).isEqualTo("a  b");
        assertThat(HellaSwagText.preprocess("tab\tand newline\n")).isEqualTo("tab\tand newline");
    }

    @Test
    void capitalizeLowerCasesTheRestLikePython() {
        assertThat(PyText.capitalize("the man in the Blue SHIRT")).isEqualTo("The man in the blue shirt");
        assertThat(PyText.capitalize("5 the guy")).isEqualTo("5 the guy");
        assertThat(PyText.capitalize("")).isEqualTo("");
        assertThat(PyText.capitalize("ǆemal")).isEqualTo("ǅemal"); // title case, not upper case ("Ǆ")
    }

    @Test
    void queryFromOriginalFields() {
        assertThat(HellaSwagText.query("Roof shingle removal", "A man is sitting on a roof.", "he"))
                .isEqualTo("Roof shingle removal: A man is sitting on a roof. He");
        assertThat(HellaSwagText.query("Clean and jerk", "A lady walks to a barbell.", "the lady and Her Coach"))
                .isEqualTo("Clean and jerk: A lady walks to a barbell. The lady and her coach");
        // Empty ctx_b: the trailing space is stripped by preprocess.
        assertThat(HellaSwagText.query("Home and Garden", "[header] How to paint a wall [title] Buy paint.", ""))
                .isEqualTo("Home and Garden: How to paint a wall. Buy paint.");
    }

    @Test
    void queryFromJoinedContextCapitalizesTheUnfinishedSentence() {
        assertThat(HellaSwagText.queryFromJoined("High jump: The boy lands on his back on to a red mat. The boy gets up from the mat. the boy"))
                .isEqualTo("High jump: The boy lands on his back on to a red mat. The boy gets up from the mat. The boy");
        assertThat(HellaSwagText.queryFromJoined("Personal Care and Style: How to organize your jewelry box. Empty out your jewelry box."))
                .isEqualTo("Personal Care and Style: How to organize your jewelry box. Empty out your jewelry box.");
        // No sentence end at all: ctx_b starts after the label.
        assertThat(HellaSwagText.queryFromJoined("Sumo: two men")).isEqualTo("Sumo: Two men");
        assertThat(HellaSwagText.queryFromJoined("Surfing: He said \"stop!\" the Surfer")).isEqualTo("Surfing: He said \"stop!\" The surfer");
    }
}
