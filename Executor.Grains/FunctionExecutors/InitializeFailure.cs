using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.FunctionExecutors;

/// <summary>How a failed initialize is told in logs and in the FE's startup failure.</summary>
public static class InitializeFailure
{
    /// <summary>Bounded: it is user text and travels in logs and reports.</summary>
    public const int MaxErrorMessageLength = 2000;

    /// <summary>The outcome and reason, plus the FE's own error message when it gives one (tensorlake 0.5.47 and later).</summary>
    public static string Describe(Fe.InitializeResponse response)
    {
        var message = $"initialize answered {response.OutcomeCode} {response.FailureReason}";
        if (!response.HasErrorMessage || string.IsNullOrWhiteSpace(response.ErrorMessage))
        {
            return message;
        }

        var error = response.ErrorMessage.Length <= MaxErrorMessageLength ? response.ErrorMessage : response.ErrorMessage[..MaxErrorMessageLength] + "…";
        return $"{message}: {error}";
    }
}
