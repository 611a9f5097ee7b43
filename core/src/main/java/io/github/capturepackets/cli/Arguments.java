package io.github.capturepackets.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small GNU-style parser: {@code --name value}, {@code --name=value}, short aliases, {@code --} to end options.
 * Options are kept in command-line order so repeatable ones accumulate.
 */
final class Arguments {
    /** One option occurrence, by its long name. */
    record Option(String name, String value) {
    }

    /** Compiled on first use (a holder class): only --dns-timeout needs it, and compiling costs every run ~5 ms. */
    private static final class DurationSyntax {
        static final Pattern PATTERN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|min|h)?");
    }

    final List<Option> options = new ArrayList<>();
    final List<String> operands = new ArrayList<>();

    private Arguments() {
    }

    /**
     * @param command  the command name, for messages
     * @param valued   long option names that take a value
     * @param flags    long option names without a value
     * @param aliases  short option to long option name ({@code -o} to {@code --output})
     */
    static Arguments parse(String command, List<String> args, List<String> valued, List<String> flags,
            Map<String, String> aliases) throws UsageException {
        Arguments parsed = new Arguments();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (optionsEnded || arg.equals("-") || !arg.startsWith("-")) {
                parsed.operands.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            String name = arg;
            String value = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                name = arg.substring(0, equals);
                value = arg.substring(equals + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (flags.contains(name)) {
                if (value != null) {
                    throw new UsageException("Option " + name + " takes no value, got '" + arg + "'. Write just "
                            + name + ".");
                }
                parsed.options.add(new Option(name, null));
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("Option " + name + " needs a value. " + help(command));
                    }
                    value = args.get(++i);
                }
                parsed.options.add(new Option(name, value));
            } else {
                throw new UsageException("Unknown option '" + arg + "' for " + command + ". " + help(command));
            }
        }
        return parsed;
    }

    static String help(String command) {
        return "Run 'capture-packets " + command + " --help' for the options.";
    }

    boolean has(String name) {
        for (Option option : options) {
            if (option.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    List<String> all(String name) {
        List<String> values = new ArrayList<>();
        for (Option option : options) {
            if (option.name().equals(name)) {
                values.add(option.value());
            }
        }
        return values;
    }

    /** The value of a single-use option, or null; given twice is an error (which one was meant?). */
    String single(String name) throws UsageException {
        List<String> values = all(name);
        if (values.size() > 1) {
            throw new UsageException("Option " + name + " was given " + values.size() + " times (" + values
                    + "). Give it once.");
        }
        return values.isEmpty() ? null : values.get(0);
    }

    /**
     * A duration as people write it: {@code 500ms}, {@code 5s}, {@code 1.5s}, {@code 2m}, {@code 1h}, a bare number
     * of seconds, or ISO-8601 ({@code PT5S}).
     */
    static Duration duration(String option, String text) throws UsageException {
        String trimmed = text.trim();
        if (trimmed.toUpperCase(Locale.ROOT).startsWith("PT")) {
            try {
                return Duration.parse(trimmed.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new UsageException(badDuration(option, text), e);
            }
        }
        Matcher matcher = DurationSyntax.PATTERN.matcher(trimmed.toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new UsageException(badDuration(option, text));
        }
        BigDecimal amount = new BigDecimal(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        BigDecimal nanosPerUnit = switch (unit) {
            case "ns" -> BigDecimal.ONE;
            case "us" -> BigDecimal.valueOf(1_000L);
            case "ms" -> BigDecimal.valueOf(1_000_000L);
            case "s" -> BigDecimal.valueOf(1_000_000_000L);
            case "m", "min" -> BigDecimal.valueOf(60_000_000_000L);
            default -> BigDecimal.valueOf(3_600_000_000_000L);
        };
        try {
            return Duration.ofNanos(amount.multiply(nanosPerUnit).longValueExact());
        } catch (ArithmeticException e) {
            throw new UsageException(badDuration(option, text), e);
        }
    }

    private static String badDuration(String option, String text) {
        return "Option " + option + " needs a duration like 500ms, 5s, 1.5s, 2m or PT5S, got '" + text + "'.";
    }
}
