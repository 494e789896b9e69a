package dev.mixprune;

import java.nio.file.Path;

/**
 * A computation from the user's model produced NaN or infinity (a loss, an activation, a
 * Hessian): the model file is unusable on this text, so this is a bad input (exit 3). Thrown
 * where the value is computed, which often does not know the model; the code that does adds it
 * with {@link #in}, so that the message names the model and where it happened (issue 13 F2).
 */
public final class NonFiniteException extends BadInputException {
    public NonFiniteException(String message) { super(message); }

    private NonFiniteException(String message, Throwable cause) { super(message, cause); }

    /** The same error with its context in front: "{context}: {message}". */
    public NonFiniteException in(Object context) {
        return new NonFiniteException(context + ": " + getMessage(), this);
    }

    /** The same error naming the model file, unless the message already starts with it. */
    public NonFiniteException inModel(Path model) {
        return getMessage().startsWith(model.toString()) ? this : in(model);
    }
}
