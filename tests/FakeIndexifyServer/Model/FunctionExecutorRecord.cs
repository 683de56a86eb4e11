using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Model;

/// <summary>An FE the fake placed on (or adopted from) an executor.</summary>
internal sealed class FunctionExecutorRecord(string executorId, FunctionExecutorDescription description, long order)
{
    public string ExecutorId { get; } = executorId;

    public FunctionExecutorDescription Description { get; set; } = description;

    public string Id => Description.Id;

    public long Order { get; } = order;

    /// <summary>The server wants it gone: it is left out of desired states until the executor confirms.</summary>
    public bool DesiredTerminated { get; set; }

    public FunctionExecutorStatus ReportedStatus { get; set; } = FunctionExecutorStatus.Unknown;

    public bool Adopted { get; init; }

    public uint Capacity => Description.HasMaxConcurrency && Description.MaxConcurrency > 0 ? Description.MaxConcurrency : 1;
}
