using Executor.Allocations.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests;

/// <summary>
/// The allocation timeout, as both FE protocols use it: it expires after allocation_timeout_ms, restarts on new
/// progress, and does not count time held (waiting on a watched call without its own deadline, or our own work).
/// </summary>
public sealed class AllocationDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly TurnScheduler _turns = new();
    private readonly TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task ExpiresWhenNothingHappensWithinTheTimeout()
    {
        var (_, waiting) = await StartAsync();
        await AdvanceAsync(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);

        await AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.False(await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task TimeHeldDoesNotCount()
    {
        var (deadline, waiting) = await StartAsync();
        await AdvanceAsync(TimeSpan.FromSeconds(4));
        await _turns.RunAsync(deadline.Hold);
        await AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.False(waiting.IsCompleted);

        await _turns.RunAsync(deadline.Release);
        await AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.False(waiting.IsCompleted);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.False(await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task NewProgressRestartsTheTimeoutButRepeatedProgressDoesNot()
    {
        var (deadline, waiting) = await StartAsync();
        await AdvanceAsync(TimeSpan.FromSeconds(8));
        Assert.True(await _turns.RunAsync(() => Task.FromResult(deadline.OnProgress(new Fe.AllocationProgress { Current = 1, Total = 10 }))));
        Assert.False(await _turns.RunAsync(() => Task.FromResult(deadline.OnProgress(new Fe.AllocationProgress { Current = 1, Total = 10 }))));
        await AdvanceAsync(TimeSpan.FromSeconds(8));
        Assert.False(waiting.IsCompleted);

        await AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.False(await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task OverlappingHoldsCountOnce()
    {
        var (deadline, waiting) = await StartAsync();
        await _turns.RunAsync(deadline.Hold);
        await AdvanceAsync(TimeSpan.FromSeconds(20));
        await _turns.RunAsync(deadline.Hold);
        await AdvanceAsync(TimeSpan.FromSeconds(20));
        await _turns.RunAsync(deadline.Release);
        await AdvanceAsync(TimeSpan.FromSeconds(20));
        await _turns.RunAsync(deadline.Release);
        await AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.False(waiting.IsCompleted);

        await AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.False(await waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task WhatItWaitsForWinsWhenItComesFirst()
    {
        var (_, waiting) = await StartAsync();
        await AdvanceAsync(TimeSpan.FromSeconds(9));
        _next.SetResult();
        Assert.True(await waiting.WaitAsync(Patience));
    }

    private async Task<(AllocationDeadline Deadline, Task<bool> Waiting)> StartAsync()
    {
        var deadline = new AllocationDeadline(Timeout, _time);
        var waiting = await _turns.RunAsync(() =>
        {
            deadline.Start();
            return Task.FromResult(deadline.WaitAsync(_next.Task));
        });
        await _turns.SettleAsync();
        return (deadline, waiting);
    }

    private async Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        await _turns.SettleAsync();
    }
}
