package ablate.evaluator.planner;

import ablate.evaluator.report.Findings;
import ablate.evaluator.report.Study;
import ablate.evaluator.report.Variant;
import java.util.List;
import java.util.Locale;

/**
 * What a study carries into a plan: its winning choice per axis, and the base's measured MFU when the
 * base trained on a GPU ({@code note} says why a CPU-measured throughput is not carried).
 */
public record StudyFindings(List<AxisChoice> choices, Throughput throughput, String note) {
    public StudyFindings {
        choices = List.copyOf(choices);
    }

    /** {@code fallback}: the throughput to plan with when the study measured none on a GPU. */
    public static StudyFindings of(Study study, String folder, Throughput fallback) {
        Variant base = study.baseVariant();
        if (base.device().startsWith("cuda") && !Double.isNaN(base.mfu())) {
            return new StudyFindings(Findings.of(study), new Throughput.Mfu(base.mfu(), "measured by " + base.name() + " in " + folder), "");
        }
        String note = base.device().isEmpty() ? ""
                : String.format(Locale.ROOT, "note: %s trained on %s; its throughput is not carried to GPUs", base.name(), base.device());
        return new StudyFindings(Findings.of(study), fallback, note);
    }
}
