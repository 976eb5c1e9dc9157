package ablate.evaluator.report;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which variant a study compares the others with, and why; the report prints both, because every
 * verdict is relative to the base. {@code base = NAME} in study.conf wins. Without it the base is
 * the run that every other run differs from in exactly one setting of its resolved config.conf: the
 * common point of a one-change-at-a-time study, which is the configuration the changes were made
 * from. Where no single run is that (two runs, one axis with three values, seeds), the first variant
 * (a study folder's sort by name) is taken and the report says so; sorting order alone once made ALiBi the base of a
 * learned-vs-ALiBi study, so that the default looked worse.
 */
public record BaseChoice(String name, How how) {
    public enum How { NAMED, COMMON_POINT, FIRST, ONLY }

    /**
     * @param variants the study's variants in order
     * @param settings per run folder's variant name, its resolved config flattened (key to value);
     *     results files have none and cannot be the common point
     */
    public static BaseChoice choose(List<Variant> variants, Map<String, Map<String, String>> settings) {
        if (variants.size() == 1) {
            return new BaseChoice(variants.getFirst().name(), How.ONLY);
        }
        // With two runs each is the other's one change away: nothing tells which is the base.
        List<String> commonPoints = settings.size() < 3 ? List.of() : settings.keySet().stream()
                .filter(candidate -> settings.entrySet().stream()
                        .filter(other -> !other.getKey().equals(candidate))
                        .allMatch(other -> differing(settings.get(candidate), other.getValue()) == 1))
                .toList();
        return commonPoints.size() == 1 ? new BaseChoice(commonPoints.getFirst(), How.COMMON_POINT)
                : new BaseChoice(variants.getFirst().name(), How.FIRST);
    }

    /** Settings whose values differ, counting a key only one side has. */
    static int differing(Map<String, String> a, Map<String, String> b) {
        Set<String> keys = new HashSet<>(a.keySet());
        keys.addAll(b.keySet());
        return (int) keys.stream().filter(k -> !Objects.equals(a.get(k), b.get(k))).count();
    }

    /** The base and why, e.g. "learned (named in study.conf)"; the report prefixes "base: ". */
    public String describe() {
        return name + " (" + reason() + ")";
    }

    /** Why this variant is the base, and how to choose another. */
    public String reason() {
        return switch (how) {
            case NAMED -> "named in study.conf";
            case COMMON_POINT -> "every other run differs from it in one setting; set `base = NAME` in study.conf to choose";
            case FIRST -> "the first in order; no run is the common point that every other run differs from in one "
                    + "setting; set `base = NAME` in study.conf to choose";
            case ONLY -> "the only variant";
        };
    }
}
