using Executor.Metrics;
using Executor.Model;
using Microsoft.Extensions.Logging;

namespace Executor.Server;

/// <summary>
/// Replaces a malformed outcome by a clean INTERNAL_ERROR failure of the same allocation, so one bad result can
/// never make the Server refuse every report (v1) or heartbeat (v2) that carries it. Logged and counted.
/// </summary>
public sealed partial class ResultQuarantine(ServerMetrics metrics, ILogger logger)
{
    public AllocationOutcome Sanitize(AllocationOutcome outcome)
    {
        if (OutcomeValidator.Validate(outcome) is not { } error)
        {
            return outcome;
        }

        metrics.InvalidResultsQuarantined.Add(1);
        LogInvalidResult(logger, outcome.AllocationId, error);
        return outcome with
        {
            Outcome = OutcomeCode.Failure,
            FailureReason = AllocationFailureReason.InternalError,
            Value = null,
            Updates = null,
            RequestError = null,
        };
    }

    [LoggerMessage(1, LogLevel.Error, "allocation result {AllocationId} is malformed ({Reason}); reporting it as INTERNAL_ERROR so the Server does not reject it")]
    private static partial void LogInvalidResult(ILogger logger, string allocationId, string reason);
}
