package dev.mixprune.report;

/** One input of the report: read, absent, or present but unreadable (the report says which). */
public sealed interface Section<T> {
    record Present<T>(String file, T value) implements Section<T> {}

    record Missing<T>(String file) implements Section<T> {}

    record Broken<T>(String file, String error) implements Section<T> {}
}
