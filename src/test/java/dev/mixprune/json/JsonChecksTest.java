package dev.mixprune.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixprune.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonChecksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    @Test
    void readTreeParsesAndNamesTheFileWhenTheTextIsNotJson() throws Exception {
        Path good = dir.resolve("good.json");
        Files.writeString(good, "{\"a\": [1, 2]}");
        assertThat(JsonChecks.readTree(good, "not valid JSON").path("a").get(1).asInt()).isEqualTo(2);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"a\": ");
        assertThatThrownBy(() -> JsonChecks.readTree(bad, "not a widget list"))
                .isInstanceOf(BadInputException.class)
                .hasMessageStartingWith(bad + ": not a widget list: ");
    }

    @Test
    void headerAcceptsTheRightFormatAndVersion() throws Exception {
        JsonNode ok = JSON.readTree("{\"format\": \"x.y\", \"version\": 3, \"other\": 1}");
        assertThatCode(() -> JsonChecks.requireHeader(ok, "s", "x.y", 3)).doesNotThrowAnyException();
    }

    @Test
    void headerNamesTheSourceTheFieldAndTheValueFound() throws Exception {
        assertThatThrownBy(() -> JsonChecks.requireHeader(JSON.readTree("[]"), "s.json", "x.y", 3))
                .isInstanceOf(BadInputException.class).hasMessage("s.json: expected a JSON object");
        assertThatThrownBy(() -> JsonChecks.requireHeader(null, "s.json", "x.y", 3))
                .isInstanceOf(BadInputException.class).hasMessage("s.json: expected a JSON object");
        assertThatThrownBy(() -> JsonChecks.requireHeader(JSON.readTree("{\"format\": \"x.z\", \"version\": 3}"), "s.json", "x.y", 3))
                .isInstanceOf(BadInputException.class).hasMessage("s.json: field 'format' must be 'x.y', got \"x.z\"");
        assertThatThrownBy(() -> JsonChecks.requireHeader(JSON.readTree("{\"version\": 3}"), "s.json", "x.y", 3))
                .isInstanceOf(BadInputException.class).hasMessage("s.json: field 'format' must be 'x.y', got ");
        assertThatThrownBy(() -> JsonChecks.requireHeader(JSON.readTree("{\"format\": \"x.y\", \"version\": 4}"), "s.json", "x.y", 3))
                .isInstanceOf(BadInputException.class).hasMessage("s.json: field 'version' must be 3, got 4");
    }
}
