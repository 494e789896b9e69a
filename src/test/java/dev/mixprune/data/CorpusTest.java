package dev.mixprune.data;

import dev.mixprune.BadInputException;
import dev.mixprune.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CorpusTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Path write(String name, String text) throws IOException { return write(name, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)); }

    @Test
    void defaultRuleFollowsTheFileName() {
        assertThat(DocumentSplit.forPath(Path.of("a/valid.txt"))).isEqualTo(DocumentSplit.PARAGRAPHS);
        assertThat(DocumentSplit.forPath(Path.of("a/wiki.test.raw"))).isEqualTo(DocumentSplit.WHOLE_FILE);
        assertThat(DocumentSplit.forPath(Path.of("a/WIKI.RAW"))).isEqualTo(DocumentSplit.WHOLE_FILE);
        assertThat(DocumentSplit.forPath(Path.of("notes.md"))).isEqualTo(DocumentSplit.PARAGRAPHS);
        assertThat(DocumentSplit.parse("whole-file")).isEqualTo(DocumentSplit.WHOLE_FILE);
        assertThat(DocumentSplit.parse("Paragraphs")).isEqualTo(DocumentSplit.PARAGRAPHS);
        assertThatThrownBy(() -> DocumentSplit.parse("lines")).hasMessageContaining("lines");
    }

    @Test
    void paragraphsAreBlankLineSeparatedStrippedAndNonEmpty() {
        String text = "\n\n  First para\nsecond line  \n\n\n \t \nSecond\r\n\r\nThird\n \u00a0\u3000\nFourth\u2003\n\n\n";
        assertThat(DocumentSplit.PARAGRAPHS.split(text))
                .containsExactly("First para\nsecond line", "Second", "Third", "Fourth");
        assertThat(DocumentSplit.PARAGRAPHS.split("single")).containsExactly("single");
        assertThat(DocumentSplit.PARAGRAPHS.split(" \n\n\t\n")).isEmpty();
        // Python strips U+0085 and U+00A0 (Java's strip() would not); U+200B is not whitespace in either
        assertThat(DocumentSplit.PARAGRAPHS.split("\u0085x\u00a0\n\n\u200by")).containsExactly("x", "\u200by");
    }

    @Test
    void wholeFileKeepsBytesAsTheyAre() throws IOException {
        String text = " \n = Title = \r\n\n\n body \n";
        Corpus c = Corpus.read(write("x.raw", text));
        assertThat(c.split()).isEqualTo(DocumentSplit.WHOLE_FILE);
        assertThat(c.documents()).containsExactly(text);
        // and the override turns a .raw file into paragraphs
        assertThat(Corpus.read(dir.resolve("x.raw"), DocumentSplit.PARAGRAPHS).documents()).containsExactly("= Title =", "body");
    }

    @Test
    void sharedCorporaHaveTheFixtureDocumentCounts() {
        assertThat(Corpus.read(SharedFiles.tinyStoriesValid()).size()).isEqualTo(2151);
        assertThat(Corpus.read(SharedFiles.tinyStoriesCalib()).size()).isEqualTo(1290);
        assertThat(Corpus.read(SharedFiles.wikiTest()).size()).isEqualTo(1);
    }

    @Test
    void emptyCorpusIsBadInputNamingTheFile() throws IOException {
        Path blank = write("blank.txt", " \n\n \t\n");
        assertThatThrownBy(() -> Corpus.read(blank)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(blank.toString()).hasMessageContaining("empty corpus");
        Path empty = write("empty.raw", "");
        assertThatThrownBy(() -> Corpus.read(empty)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(empty.toString()).hasMessageContaining("empty corpus");
    }

    @Test
    void missingFileIsBadInput() {
        Path missing = dir.resolve("nope.txt");
        assertThatThrownBy(() -> Corpus.read(missing)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("not found");
    }

    @Test
    void unreadableFileIsBadInput() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("folder.txt"));
        assertThatThrownBy(() -> Corpus.read(folder)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(folder.toString()).hasMessageContaining("cannot read");
    }

    @Test
    void invalidUtf8IsBadInputWithTheOffset() throws IOException {
        byte[] bytes = {'o', 'k', '\n', (byte) 0xC3, '(', 'x'};
        Path bad = write("bad.txt", bytes);
        assertThatThrownBy(() -> Corpus.read(bad)).isInstanceOf(BadInputException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("offset 3").hasMessageContaining("c3").hasMessageContaining("UTF-8");
        Path truncated = write("trunc.raw", new byte[]{'a', (byte) 0xE2, (byte) 0x82});
        assertThatThrownBy(() -> Corpus.read(truncated)).isInstanceOf(BadInputException.class).hasMessageContaining("offset 1");
        Path surrogate = write("sur.txt", new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}); // an encoded surrogate is not UTF-8
        assertThatThrownBy(() -> Corpus.read(surrogate)).isInstanceOf(BadInputException.class).hasMessageContaining("offset 0");
    }

    @Test
    void byteOrderMarkIsKeptAsPythonDoes() throws IOException {
        Path bom = write("bom.raw", new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i'});
        assertThat(Corpus.read(bom).documents()).containsExactly("\uFEFFhi");
    }
}
