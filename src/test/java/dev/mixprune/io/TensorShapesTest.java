package dev.mixprune.io;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TensorShapesTest {
    @Test
    void textListsTheDimensionsInTheGivenOrder() {
        assertThat(TensorShapes.text(new long[]{})).isEqualTo("[]");
        assertThat(TensorShapes.text(new long[]{64})).isEqualTo("[64]");
        assertThat(TensorShapes.text(new long[]{172, 64, 3})).isEqualTo("[172, 64, 3]");
    }

    @Test
    void elementsIsTheProduct() {
        assertThat(TensorShapes.elements(new long[]{})).isEqualTo(1);
        assertThat(TensorShapes.elements(new long[]{172, 64})).isEqualTo(172L * 64);
        assertThat(TensorShapes.elements(new long[]{1L << 20, 1L << 20, 3})).isEqualTo(3L << 40);
        assertThat(TensorShapes.elements(new long[]{5, 0, 7})).isZero();
    }

    @Test
    void listingAndGgufEntriesPrintTheirShapesThroughIt() {
        TensorListing.Entry e = new TensorListing.Entry("w", new long[]{4, 9}, "F32");
        assertThat(e.shapeString()).isEqualTo("[4, 9]");
        assertThat(e.elements()).isEqualTo(36);
        GgufFile.TensorInfo t = new GgufFile.TensorInfo("w", new long[]{9, 4}, GgmlType.F32, 0, 36, 144);
        assertThat(t.shapeString()).isEqualTo("[9, 4]");
    }
}
