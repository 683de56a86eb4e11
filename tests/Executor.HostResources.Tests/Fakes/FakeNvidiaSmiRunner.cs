namespace Executor.HostResources.Tests.Fakes;

/// <summary>Returns canned nvidia-smi output (null = nvidia-smi unavailable) and counts calls.</summary>
public sealed class FakeNvidiaSmiRunner(string? output) : INvidiaSmiRunner
{
    public int Calls { get; private set; }

    public Task<string?> QueryGpusAsync(CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult(output);
    }
}
