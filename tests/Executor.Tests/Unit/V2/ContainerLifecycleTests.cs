using Executor.Model;
using Executor.Server.V2;
using Xunit;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Unit.V2;

/// <summary>Container lifecycle responses: each once per container, reasons mapped by meaning.</summary>
public sealed class ContainerLifecycleTests
{
    private static FunctionExecutorState State(string id, FunctionExecutorStatus status, FunctionExecutorTerminationReason? reason = null) =>
        new() { FunctionExecutorId = id, Status = status, TerminationReason = reason };

    [Fact]
    public void StartedAndTerminatedGoOutOnceEach()
    {
        var lifecycle = new ContainerLifecycle();
        Assert.Empty(lifecycle.Observe([State("c-1", FunctionExecutorStatus.Pending)], stopping: false));

        var started = Assert.Single(lifecycle.Observe([State("c-1", FunctionExecutorStatus.Running)], stopping: false));
        Assert.Equal("c-1", started.ContainerStarted.ContainerId);
        Assert.False(started.HasCommandSeq);
        Assert.Empty(lifecycle.Observe([State("c-1", FunctionExecutorStatus.Running)], stopping: false));

        var terminated = Assert.Single(lifecycle.Observe([State("c-1", FunctionExecutorStatus.Terminated, FunctionExecutorTerminationReason.Oom)], stopping: false));
        Assert.Equal(ProtoV2.ContainerTerminationReason.Oom, terminated.ContainerTerminated.Reason);
        Assert.Empty(lifecycle.Observe([State("c-1", FunctionExecutorStatus.Terminated, FunctionExecutorTerminationReason.Oom)], stopping: false));

        // Vanishing after it terminated says nothing more.
        Assert.Empty(lifecycle.Observe([], stopping: false));
    }

    [Fact]
    public void AContainerThatVanishesAfterRemovalIsTerminatedFunctionCancelled()
    {
        var lifecycle = new ContainerLifecycle();
        lifecycle.Observe([State("c-1", FunctionExecutorStatus.Running), State("c-2", FunctionExecutorStatus.Pending)], stopping: false);
        lifecycle.RemovalRequested("c-1");
        lifecycle.RemovalRequested("never-reported");

        var responses = lifecycle.Observe([State("c-2", FunctionExecutorStatus.Pending)], stopping: false);
        Assert.Equal(["c-1", "never-reported"], responses.Select(r => r.ContainerTerminated.ContainerId));
        Assert.All(responses, r => Assert.Equal(ProtoV2.ContainerTerminationReason.FunctionCancelled, r.ContainerTerminated.Reason));
    }

    [Fact]
    public void NothingIsSaidForContainersThatVanishWithTheStoppedReport()
    {
        var lifecycle = new ContainerLifecycle();
        lifecycle.Observe([State("c-1", FunctionExecutorStatus.Running)], stopping: false);
        Assert.Empty(lifecycle.Observe([], stopping: true));
    }
}
