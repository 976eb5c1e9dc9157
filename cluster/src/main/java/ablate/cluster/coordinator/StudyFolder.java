package ablate.cluster.coordinator;

import ablate.cluster.coordinator.CoordinatorEvent.RunSubmitted;
import ablate.conf.RunConfig;
import ablate.conf.Settings;
import ablate.evaluator.report.Study;
import ablate.trainer.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A submitted study on disk: every run's config checked first (nothing is written when one fails),
 * then the study folder with {@code study.conf} naming the base (what {@code ablate report} reads),
 * {@code study-file.conf} (the study file as submitted) and a run folder per run.
 */
final class StudyFolder {
    private StudyFolder() {}

    /** Writes the study's folders; the events that queue its runs. */
    static List<CoordinatorEvent> create(Coordinator.SubmitStudy s, Path storage, Path dataDir, Instant now) throws IOException {
        if (s.runs().isEmpty() || s.runs().stream().noneMatch(r -> r.name().equals(s.base()))) {
            throw new IllegalArgumentException("the study's base " + s.base() + " is none of its runs");
        }
        List<CoordinatorEvent> events = new ArrayList<>();
        for (Coordinator.StudyRun r : s.runs()) {
            String name = s.name() + "/" + r.name();
            RunConfig config = Settings.parse(Settings.parseText(new Settings.Text(name + "/config.conf", r.config())));
            Evaluations.check(config, dataDir);
            events.add(new RunSubmitted(name, r.config(), config.train().steps(), config.train().microBatches(),
                    config.cluster().dataParallel(), now));
        }
        Path folder = Files.createDirectories(storage.resolve(s.name()));
        Files.writeString(folder.resolve("study-file.conf"), s.source());
        Files.writeString(folder.resolve(Study.STUDY_CONF),
                "# written by the coordinator; the study file as submitted is study-file.conf\nbase = \"" + s.base() + "\"\n");
        for (Coordinator.StudyRun r : s.runs()) {
            RunDirectory.create(folder.resolve(r.name()), r.config());
        }
        return events;
    }
}
