namespace TestFunctionExecutor;

/// <summary>
/// The real FE's command line: <c>--executor-id=ID --function-executor-id=ID --address HOST:PORT [--dev]</c>.
/// Like the real one (argparse parse_known_args) unknown arguments are accepted and reported.
/// </summary>
internal sealed record CommandLine(string? ExecutorId, string FunctionExecutorId, string? Address, bool Dev, IReadOnlyList<string> Ignored)
{
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string? executorId = null;
        var functionExecutorId = string.Empty;
        string? address = null;
        var dev = false;
        var ignored = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq >= 0 ? arg[..eq] : arg;
            string? inlineValue = eq >= 0 ? arg[(eq + 1)..] : null;

            // Both "--name=value" and "--name value" forms, as argparse accepts.
            string? Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 < args.Count)
                {
                    i++;
                    return args[i];
                }

                return null;
            }

            switch (name)
            {
                case "--executor-id": executorId = Value(); break;
                case "--function-executor-id": functionExecutorId = Value() ?? string.Empty; break;
                case "--address": address = Value(); break;
                case "--dev" when inlineValue is null: dev = true; break;
                default: ignored.Add(arg); break;
            }
        }

        return new CommandLine(executorId, functionExecutorId, address, dev, ignored);
    }
}
