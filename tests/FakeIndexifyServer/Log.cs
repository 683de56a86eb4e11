using Executor.Protocol.ServerV1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FakeIndexifyServer;

/// <summary>The fake's log lines (quiet unless a logger factory is given).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Executor {ExecutorId} registered (registration #{Count})")]
    public static partial void ExecutorRegistered(ILogger logger, string executorId, int count);

    [LoggerMessage(2, LogLevel.Information, "Executor {ExecutorId} deregistered: {Cause}")]
    public static partial void ExecutorDeregistered(ILogger logger, string executorId, DeregistrationCause cause);

    [LoggerMessage(3, LogLevel.Debug, "Report from {ExecutorId} rejected with {Status}: {Detail}")]
    public static partial void ReportRejected(ILogger logger, string? executorId, StatusCode status, string detail);

    [LoggerMessage(4, LogLevel.Debug, "Allocation {AllocationId} failed by the server with {Reason}: {Cause}")]
    public static partial void AllocationFailedByServer(ILogger logger, string allocationId, AllocationFailureReason reason, string cause);

    [LoggerMessage(5, LogLevel.Information, "Simulated server restart #{Count}")]
    public static partial void SimulatedRestart(ILogger logger, int count);
}
