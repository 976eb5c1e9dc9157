package ablate.cluster.console;

import picocli.CommandLine;

/** Makes picocli's command objects, handing the client commands among them this environment. */
public record ClientFactory(ClientEnvironment env) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
        K made = CommandLine.defaultFactory().create(type);
        if (made instanceof ClientCommand command) {
            command.environment(env);
        }
        if (made instanceof ConsoleCommand console) {
            console.environment(env);
        }
        return made;
    }
}
