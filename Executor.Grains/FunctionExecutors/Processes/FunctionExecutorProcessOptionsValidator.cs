using Microsoft.Extensions.Options;

namespace Executor.FunctionExecutors.Processes;

/// <summary>Rejects unusable <see cref="FunctionExecutorProcessOptions"/> at startup with messages naming the keys.</summary>
public sealed class FunctionExecutorProcessOptionsValidator : IValidateOptions<FunctionExecutorProcessOptions>
{
    private const string Prefix = FunctionExecutorProcessOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, FunctionExecutorProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Command))
        {
            errors.Add($"{Prefix}Command must name the Function Executor executable (default 'function-executor').");
        }

        if (options.Arguments is null || options.Arguments.Any(a => a is null))
        {
            errors.Add($"{Prefix}Arguments must not contain null entries.");
        }

        if (string.IsNullOrWhiteSpace(options.CachePath))
        {
            errors.Add($"{Prefix}CachePath is required (the executor cache directory; pid records and FE logs are kept under it).");
        }

        if (options.StartupTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{Prefix}StartupTimeout must be positive, got '{options.StartupTimeout}'.");
        }

        if (options.DiagnosticsLogMaxBytes < 1024)
        {
            errors.Add($"{Prefix}DiagnosticsLogMaxBytes must be at least 1024, got {options.DiagnosticsLogMaxBytes}.");
        }

        if (options.PortBindAttempts is < 1 or > 100)
        {
            errors.Add($"{Prefix}PortBindAttempts must be between 1 and 100, got {options.PortBindAttempts}.");
        }

        if (options.EnvironmentPassthrough is { } names)
        {
            foreach (var variable in names)
            {
                if (string.IsNullOrWhiteSpace(variable) || variable.Contains('=', StringComparison.Ordinal) || variable.Contains('\0', StringComparison.Ordinal))
                {
                    errors.Add($"{Prefix}EnvironmentPassthrough contains an invalid variable name '{variable}'.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
