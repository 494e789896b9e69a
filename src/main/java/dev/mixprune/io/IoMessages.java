package dev.mixprune.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** I/O failures as a user reads them: the path and the reason ("No space left on device"), no Java class names. */
public final class IoMessages {
    private IoMessages() {}

    public static String describe(IOException e) {
        if (e instanceof OutputException o) return o.getMessage();
        if (e instanceof FileSystemException f) {
            String path = f.getFile() != null ? f.getFile() : "";
            if (f.getOtherFile() != null) path += " -> " + f.getOtherFile();
            return path + ": " + reason(f);
        }
        String m = e.getMessage();
        return m != null && !m.isBlank() ? m : "input/output error";
    }

    /** The operating system's reason, or what the exception type means when it has none. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null && !f.getReason().isBlank()) return f.getReason();
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof FileAlreadyExistsException) return "already exists";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof DirectoryNotEmptyException) return "directory not empty";
        if (e instanceof NotDirectoryException) return "not a directory";
        String m = e.getMessage();
        return m != null && !m.isBlank() ? m : "input/output error";
    }
}
