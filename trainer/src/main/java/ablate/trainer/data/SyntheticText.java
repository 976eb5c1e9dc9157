package ablate.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Seeded English-like text whose regularities can only be learned by attending to positions:
 * number agreement across intervening phrases, copying and reversing lists, ordinal sequences,
 * counting, and small sums. A model without position information sees a bag of earlier tokens and
 * cannot tell "again:" from "reverse:", so position-embedding ablations separate within minutes.
 *
 * <p>About three hundred words; documents of a few hundred characters.
 */
final class SyntheticText {

    private static final String[][] NOUNS = {
        {"key", "keys"}, {"cabinet", "cabinets"}, {"dog", "dogs"}, {"cat", "cats"}, {"box", "boxes"},
        {"letter", "letters"}, {"bird", "birds"}, {"tree", "trees"}, {"house", "houses"},
        {"window", "windows"}, {"book", "books"}, {"river", "rivers"}, {"boat", "boats"}, {"lamp", "lamps"},
        {"road", "roads"}, {"garden", "gardens"}, {"horse", "horses"}, {"city", "cities"},
        {"village", "villages"}, {"song", "songs"}, {"story", "stories"}, {"table", "tables"},
        {"chair", "chairs"}, {"door", "doors"}, {"cup", "cups"}, {"apple", "apples"}, {"stone", "stones"},
        {"bridge", "bridges"}, {"ship", "ships"}, {"wall", "walls"}, {"mountain", "mountains"},
        {"flower", "flowers"}, {"mouse", "mice"}, {"wolf", "wolves"}, {"fox", "foxes"}, {"bell", "bells"},
        {"coin", "coins"}, {"map", "maps"}, {"candle", "candles"}, {"basket", "baskets"},
    };
    private static final String[][] PEOPLE = {
        {"child", "children"}, {"teacher", "teachers"}, {"farmer", "farmers"}, {"girl", "girls"},
        {"boy", "boys"}, {"painter", "painters"}, {"baker", "bakers"}, {"doctor", "doctors"},
        {"friend", "friends"}, {"student", "students"}, {"king", "kings"}, {"queen", "queens"},
        {"soldier", "soldiers"}, {"sailor", "sailors"}, {"singer", "singers"}, {"driver", "drivers"},
    };
    private static final String[] ADJECTIVES = {
        "old", "young", "tall", "small", "big", "quiet", "bright", "dark", "heavy", "green", "red", "blue",
        "yellow", "white", "black", "brown", "happy", "tired", "clever", "gentle", "ancient", "broken",
        "empty", "warm", "cold", "narrow", "wide", "strange", "famous", "lonely",
    };
    private static final String[] COLORS = {"red", "blue", "green", "yellow", "white", "black", "brown", "grey"};
    private static final String[] PREPOSITIONS = {"near", "behind", "under", "beside", "above", "next to", "on", "by"};
    private static final String[] LINKS = {"to", "of", "near", "behind", "under", "beside", "with", "from"};
    private static final String[] PAST_VERBS = {
        "painted", "saw", "found", "liked", "visited", "carried", "cleaned", "opened", "followed",
        "watched", "built", "sold", "moved", "remembered", "lost",
    };
    private static final String[][] INTRANSITIVE = {
        {"sings", "sing"}, {"waits", "wait"}, {"sleeps", "sleep"}, {"runs", "run"}, {"falls", "fall"},
        {"shines", "shine"}, {"stays", "stay"}, {"rests", "rest"}, {"moves", "move"}, {"works", "work"},
    };
    private static final String[] NUMBERS = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
    };
    private static final String[] ORDINALS = {
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    };
    private static final String[] DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    private static final String[] MONTHS = {
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    };
    private static final String[] WOMEN = {"alice", "carol", "emma", "grace", "hannah", "julia", "laura", "nora"};
    private static final String[] MEN = {"bob", "david", "frank", "henry", "jack", "leo", "oscar", "peter"};

    /** Sentence kinds with their weights: how often each appears in a document. */
    private static final List<Kind> KINDS = List.of(
            new Kind(30, SyntheticText::agreement),
            new Kind(12, SyntheticText::copy),
            new Kind(10, SyntheticText::reverse),
            new Kind(14, SyntheticText::ordinals),
            new Kind(10, SyntheticText::counting),
            new Kind(12, SyntheticText::story),
            new Kind(6, SyntheticText::sum),
            new Kind(6, SyntheticText::calendar));
    private static final int TOTAL_WEIGHT = KINDS.stream().mapToInt(Kind::weight).sum();

    private record Kind(int weight, Function<SplittableRandom, String> sentence) {}

    private SyntheticText() {}

    /** The document for {@code (seed, index)}; the same pair always gives the same text. */
    static String document(long seed, long index) {
        var random = new SplittableRandom(Mix64.hash(seed, index));
        int target = 200 + random.nextInt(400);
        var text = new StringBuilder();
        while (text.length() < target) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            String sentence = pick(random).sentence().apply(random);
            text.append(Character.toUpperCase(sentence.charAt(0))).append(sentence, 1, sentence.length());
        }
        return text.toString();
    }

    private static Kind pick(SplittableRandom random) {
        int r = random.nextInt(TOTAL_WEIGHT);
        for (Kind kind : KINDS) {
            r -= kind.weight();
            if (r < 0) {
                return kind;
            }
        }
        throw new AssertionError("weights do not add up");
    }

    /** "the keys to the old cabinet that the farmer painted are on the table." */
    private static String agreement(SplittableRandom random) {
        boolean plural = random.nextBoolean();
        String[][] heads = random.nextBoolean() ? NOUNS : PEOPLE;
        var s = new StringBuilder("the ");
        if (random.nextInt(3) == 0) {
            s.append(one(random, ADJECTIVES)).append(' ');
        }
        s.append(number(one(random, heads), plural));
        int modifier = random.nextInt(3);
        if (modifier != 1) {
            s.append(' ').append(one(random, LINKS)).append(" the ").append(one(random, ADJECTIVES)).append(' ')
                    .append(number(one(random, NOUNS), random.nextBoolean()));
        }
        if (modifier != 0) {
            s.append(" that the ").append(number(one(random, PEOPLE), random.nextBoolean())).append(' ')
                    .append(one(random, PAST_VERBS));
        }
        s.append(' ').append(switch (random.nextInt(4)) {
            case 0 -> (plural ? "are " : "is ") + one(random, ADJECTIVES);
            case 1 -> (plural ? "were " : "was ") + one(random, PREPOSITIONS) + " the " + one(random, NOUNS)[0];
            case 2 -> (plural ? "have " : "has ") + NUMBERS[2 + random.nextInt(8)] + " " + one(random, NOUNS)[1];
            default -> number(one(random, INTRANSITIVE), plural) + " every " + one(random, DAYS);
        });
        return s.append('.').toString();
    }

    /** "list: red fox, blue cup. Again: red fox, blue cup." */
    private static String copy(SplittableRandom random) {
        List<String> items = items(random, 3 + random.nextInt(4));
        String list = String.join(", ", items);
        return "list: " + list + ". Again: " + list + ".";
    }

    /** "reverse: four, nine, two. Result: two, nine, four." */
    private static String reverse(SplittableRandom random) {
        int n = 3 + random.nextInt(4);
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(random.nextBoolean() ? one(random, NUMBERS) : one(random, NOUNS)[0]);
        }
        List<String> reversed = new ArrayList<>(items).reversed();
        return "reverse: " + String.join(", ", items) + ". Result: " + String.join(", ", reversed) + ".";
    }

    /** "first the baker sings, second the farmer waits, third the doctor rests." */
    private static String ordinals(SplittableRandom random) {
        int n = 3 + random.nextInt(5);
        List<String> clauses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clauses.add(ORDINALS[i] + " the " + one(random, PEOPLE)[0] + " " + one(random, INTRANSITIVE)[0]);
        }
        return String.join(", ", clauses) + ".";
    }

    /** "count from four: four, five, six, seven." */
    private static String counting(SplittableRandom random) {
        int n = 3 + random.nextInt(5);
        int start = 1 + random.nextInt(NUMBERS.length - n);
        List<String> run = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            run.add(NUMBERS[start + i]);
        }
        return "count from " + NUMBERS[start] + ": " + String.join(", ", run) + ".";
    }

    /** "alice has three apples. bob gives her two more. now alice has five apples." */
    private static String story(SplittableRandom random) {
        boolean woman = random.nextBoolean();
        String owner = woman ? one(random, WOMEN) : one(random, MEN);
        String giver;
        do {
            giver = random.nextBoolean() ? one(random, WOMEN) : one(random, MEN);
        } while (giver.equals(owner));
        String thing = one(random, NOUNS)[1];
        int have = 2 + random.nextInt(9);
        int more = 1 + random.nextInt(9);
        return owner + " has " + NUMBERS[have] + " " + thing + ". " + capitalize(giver) + " gives "
                + (woman ? "her " : "him ") + NUMBERS[more] + " more. Now " + capitalize(owner) + " has "
                + NUMBERS[have + more] + " " + thing + ".";
    }

    /** "12 plus 7 is 19." */
    private static String sum(SplittableRandom random) {
        int a = random.nextInt(50);
        int b = random.nextInt(50);
        return random.nextBoolean()
                ? a + " plus " + b + " is " + (a + b) + "."
                : Math.max(a, b) + " minus " + Math.min(a, b) + " is " + (Math.max(a, b) - Math.min(a, b)) + ".";
    }

    /** "two days after friday is sunday." */
    private static String calendar(SplittableRandom random) {
        if (random.nextInt(3) == 0) {
            int m = random.nextInt(MONTHS.length);
            return "the month after " + MONTHS[m] + " is " + MONTHS[(m + 1) % MONTHS.length] + ".";
        }
        int d = random.nextInt(DAYS.length);
        int k = 1 + random.nextInt(3);
        String after = k == 1 ? "the day after " : NUMBERS[k] + " days after ";
        return after + DAYS[d] + " is " + DAYS[(d + k) % DAYS.length] + ".";
    }

    private static List<String> items(SplittableRandom random, int n) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(one(random, COLORS) + " " + one(random, NOUNS)[0]);
        }
        return items;
    }

    private static String number(String[] forms, boolean plural) {
        return plural ? forms[1] : forms[0];
    }

    private static <T> T one(SplittableRandom random, T[] choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static String capitalize(String word) {
        return Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }
}
