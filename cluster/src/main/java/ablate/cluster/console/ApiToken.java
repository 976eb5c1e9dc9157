package ablate.cluster.console;

import ablate.cluster.node.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The bearer token and where it came from ("ABLATE_TOKEN" or "--token-file FILE"), so that a refusal
 * can say which one to fix. Only {@link Secret#reveal()} shows the value, and only the Authorization
 * header gets it: never a command-line argument, an error message or the output.
 */
public record ApiToken(Secret secret, String source) {
    public ApiToken {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("no API token in " + source);
        }
    }

    /** The token in {@code file} when given (its first line, without surrounding blanks), else ABLATE_TOKEN. */
    public static ApiToken find(Optional<Path> file, ClientEnvironment env) throws ApiException {
        if (file.isPresent()) {
            String source = "--token-file " + file.get();
            String text;
            try {
                text = Files.readString(file.get(), StandardCharsets.UTF_8).strip();
            } catch (NoSuchFileException e) {
                throw ApiException.badInput(source + ": no such file");
            } catch (IOException e) {
                throw ApiException.badInput(source + ": cannot read it (" + e.getClass().getSimpleName() + ")");
            }
            String first = text.lines().findFirst().orElse("").strip();
            if (first.isEmpty()) {
                throw ApiException.badInput(source + " is empty; put the coordinator's API token (cluster.api.token) in it");
            }
            return new ApiToken(Secret.of(first), source);
        }
        String value = env.variable(ClientEnvironment.TOKEN).strip();
        if (value.isEmpty()) {
            throw ApiException.badInput("no API token: set " + ClientEnvironment.TOKEN
                    + " (the coordinator's cluster.api.token) or give --token-file FILE");
        }
        return new ApiToken(Secret.of(value), ClientEnvironment.TOKEN);
    }
}
