package ablate.cluster.dashboard;

import ablate.cluster.api.ApiServer;
import ablate.cluster.api.Studies;
import ablate.cluster.node.ApiSettings;
import ablate.cluster.node.Secret;
import ablate.trainer.cli.Cli;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ablate dashboard}: the coordinator's dashboard over folders, read-only, for a study or a run whose cluster is gone. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {"Serve the dashboard's pages (runs, a run's curves, checkpoints and zero-shot results, a study's overlaid "
                + "curves, results table, report and plan) read-only from a study folder or a run folder: for a study whose cluster "
                + "is gone. A running cluster serves the same pages live at its coordinator's API address.",
                "The pages need a token as the cluster's API does: ABLATE_TOKEN if set, otherwise a new random one, printed in the "
                        + "address's fragment (#token=..., which the browser keeps to itself). Nothing in the folders is written."},
        footerHeading = "%nExamples:%n",
        footer = {"  ablate dashboard demo/runs/positions            # a study folder",
                "  ablate dashboard runs/my-run --port 8300        # one run"})
public final class DashboardCommand implements Callable<Integer> {
    @Parameters(paramLabel = "STUDY|RUN_DIR", description = "A study folder (its runs are the subfolders holding config.conf) or a run folder.")
    Path folder;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8265", description = "Port to serve on (0: any free one). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 to reach it from other machines. Default: ${DEFAULT-VALUE}.")
    String host;

    @Override
    public Integer call() {
        return Cli.guard(() -> {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0..65535, got " + port);
            }
            Map<String, Path> runs = FolderSource.runs(folder);
            String study = runs.keySet().iterator().next().contains("/") ? folder.toAbsolutePath().normalize().getFileName().toString() : "";
            String token = Optional.ofNullable(System.getenv("ABLATE_TOKEN")).filter(t -> !t.isBlank()).orElseGet(DashboardCommand::newToken);
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ablate-dashboard",
                    ConfigFactory.parseString("pekko.actor.provider = local\npekko.coordinated-shutdown.exit-jvm = off")
                            .withFallback(ConfigFactory.load()));
            var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
            DashboardRoutes dashboard = new DashboardRoutes(new FolderSource(folder, blocking),
                    name -> Optional.ofNullable(runs.get(name)),
                    name -> !study.isEmpty() && name.equals(study) ? Optional.of(folder) : Optional.empty(), blocking);
            ApiServer server;
            try {
                server = ApiServer.start(system, host, new ApiSettings(true, Secret.of(token), port), Optional.empty(),
                        dashboard.readOnly(Studies::results)).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                system.terminate();
                throw new IllegalArgumentException("cannot listen on " + host + ":" + port + " (" + e.getCause().getMessage()
                        + "); choose another --port");
            }
            String page = study.isEmpty() ? "/run/" + runs.keySet().iterator().next() : "/study/" + study;
            System.out.printf("dashboard (read-only) of %s: http://%s:%d/#token=%s&%s%n", folder, host, server.port(), token, page);
            System.out.println("Ctrl-C stops it.");
            system.getWhenTerminated().toCompletableFuture().join();
            return Cli.OK;
        });
    }

    private static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
