using System.Text;
using Executor.Protocol.ServerV1;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.TestHost;

/// <summary>
/// The few observations that differ between the protocols, each asserted as strongly as its protocol allows, so a
/// test body is written once for every <see cref="ProtocolCombination"/>.
/// </summary>
public sealed partial class ExecutorScenario
{
    /// <summary>
    /// How a child call id looks: FE 0.1.2 makes up <c>&lt;allocation&gt;.call.fn-N</c>; 0.1.3 uses the durable id of the
    /// <paramref name="sequence"/>-th call the allocation started (<see cref="TestFunctions.DurableId"/>).
    /// </summary>
    public void AssertChildCallId(Allocation parent, string childCallId, int sequence = 1)
    {
        if (Protocols.IsFe013)
        {
            Assert.Equal(TestFunctions.DurableId(parent.FunctionCallId, sequence), childCallId);
        }
        else
        {
            Assert.StartsWith($"{parent.AllocationId}.call.", childCallId, StringComparison.Ordinal);
        }
    }

    /// <summary>Like <see cref="AssertChildCallId"/> for a tail call: 0.1.2 <c>&lt;allocation&gt;.tail.fn-N</c>, 0.1.3 a durable id.</summary>
    public void AssertTailCallId(Allocation allocation, string rootFunctionCallId, int sequence = 1)
    {
        if (Protocols.IsFe013)
        {
            Assert.Equal(TestFunctions.DurableId(allocation.FunctionCallId, sequence), rootFunctionCallId);
        }
        else
        {
            Assert.StartsWith($"{allocation.AllocationId}.tail.", rootFunctionCallId, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Waits until the parent waits on the child and the Server will hand it the child's result. v1: the parent's watch
    /// reached the Server in a report (the executor reports what its FEs watch). v2 has no watches (the Server routes a
    /// result by the call_function it took), so the FE itself must say it waits: 0.1.2 lists the watcher, 0.1.3 got its
    /// watcher acknowledged.
    /// </summary>
    public async Task WaitForChildWatchedAsync(FunctionExecutorDescription fe, Allocation parent, string childCallId, TimeSpan timeout)
    {
        if (Protocols.IsServerV1)
        {
            await Server.WaitForReportAsync(r => r.Succeeded && r.FunctionCallWatches.Any(w => w.FunctionCallId == childCallId), timeout);
            return;
        }

        var line = Protocols.IsFe013
            ? $"allocation {parent.AllocationId}: watcher of function call {childCallId} created: OK"
            : $"allocation {parent.AllocationId}: watching function call {childCallId} ";
        await Testing.Eventually.TrueAsync(() => ReadFunctionExecutorLog(fe.Id).Contains(line, StringComparison.Ordinal), timeout, $"FE {fe.Id} waits on {childCallId}");
    }

    /// <summary>
    /// After the parent finished, the Server is done with the child for it. v1: a later accepted report no longer carries
    /// the parent's watch. v2: the Server pushed the child's result to this executor exactly once.
    /// </summary>
    public async Task WaitForChildWatchEndedAsync(Allocation parent, string childCallId, TimeSpan timeout)
    {
        if (Protocols.IsServerV1)
        {
            var acceptedAt = Server.Reports.First(r => r.AcceptedAllocationIds.Contains(parent.AllocationId)).Sequence;
            await Server.WaitForReportAsync(r => r.Succeeded && !r.FunctionCallWatches.Any(w => w.FunctionCallId == childCallId), timeout, afterSequence: acceptedAt - 1);
            return;
        }

        Assert.Single(Server.IssuedResults, r => r.ExecutorId == ExecutorId && r.Result.Entry.AllocationId == parent.AllocationId && r.Result.Entry.FunctionCallResult?.FunctionCallId == childCallId);
    }

    /// <summary>
    /// The FE got the child's result once: a second delivery would be logged as a reply for an unknown watcher (0.1.2)
    /// or durable id (0.1.3); 0.1.3 also logs each delivered result.
    /// </summary>
    public void AssertChildResultDeliveredOnce(string functionExecutorId, Allocation parent, string childCallId)
    {
        var log = ReadFunctionExecutorLog(functionExecutorId);
        if (Protocols.IsFe013)
        {
            Assert.Single(log.Split('\n'), l => l.Contains($"allocation {parent.AllocationId}: function call {childCallId} result: ", StringComparison.Ordinal));
            Assert.DoesNotContain("function_call_watcher_result for unknown durable id", log, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("ignoring FunctionCallResult", log, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A call_function the Server kept failing was retried. v1: the RPC was sent more than once. v2: the call rides the
    /// heartbeats, whose cadence (with their own backoff) decides how many carried it before the retry budget ran out.
    /// </summary>
    public void AssertCallFunctionRetried(int attempts)
    {
        if (Protocols.IsServerV1)
        {
            Assert.True(attempts > 1, $"call_function was tried {attempts} time(s)");
        }
        else
        {
            Assert.True(attempts >= 1, "no heartbeat carried the call");
        }
    }

    /// <summary>
    /// The FE was told the child call could not be started, and user code failed. 0.1.2: a non-OK
    /// function_call_creation_result. 0.1.3 acknowledges a create at once (the executor starts it on the Server with
    /// the watcher): the call's result is the failure.
    /// </summary>
    public void AssertFunctionExecutorToldCallFailed(string functionExecutorId, Allocation parent, string childCallId)
    {
        var log = ReadFunctionExecutorLog(functionExecutorId);
        if (Protocols.IsFe013)
        {
            Assert.Contains(log.Split('\n'), l => l.Contains($"allocation {parent.AllocationId}: function call {childCallId} result: ", StringComparison.Ordinal) && l.EndsWith(" Failure (Failed)", StringComparison.Ordinal));
            Assert.Contains($"allocation {parent.AllocationId}: function error: FunctionError: Function call failed ({childCallId}", log, StringComparison.Ordinal);
        }
        else
        {
            // The FE names the call by its own allocation function call id (call-N), not the child's id.
            Assert.Contains(log.Split('\n'), l => l.Contains($"allocation {parent.AllocationId}: function error: function call ", StringComparison.Ordinal) && l.EndsWith(" could not be started: 13 Failed to create function call.", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// The FE was terminated because of <paramref name="allocationIds"/>. v1: they are the termination's blame list. v2
    /// has none (the Server hears ContainerTerminated, lifecycle only): each allocation's own failure was reported instead.
    /// </summary>
    public void AssertTerminationBlames(FunctionExecutorState terminated, params string[] allocationIds)
    {
        Assert.Equal(FunctionExecutorStatus.Terminated, terminated.Status);
        if (Protocols.IsServerV1)
        {
            Assert.Equal(allocationIds.Order(StringComparer.Ordinal), terminated.AllocationIdsCausedTermination.Order(StringComparer.Ordinal));
            return;
        }

        Assert.Empty(terminated.AllocationIdsCausedTermination);
        foreach (var id in allocationIds)
        {
            var result = Server.Reports.Where(r => r.Succeeded).SelectMany(r => r.AllocationResults).FirstOrDefault(r => r.AllocationId == id);
            Assert.True(result is { OutcomeCode: AllocationOutcomeCode.Failure }, $"allocation {id} of the terminated FE has no failure of its own: {result}");
        }
    }

    /// <summary>
    /// The allocations that were queued on an FE that then failed to start were failed so that the Server takes them
    /// along with the termination. v1: each result was accepted in an earlier report than <paramref name="terminated"/>
    /// (the Server applies a termination before the results of the same report), one that did not yet call the FE
    /// TERMINATED. v2: each AllocationFailed names the container (ContainerTerminated is lifecycle only).
    /// </summary>
    public void AssertFailedAlongWithTheirFunctionExecutor(string functionExecutorId, ReceivedReport terminated, IEnumerable<string> allocationIds)
    {
        foreach (var id in allocationIds)
        {
            if (Protocols.IsServerV1)
            {
                var carrier = Server.Reports.Single(r => r.AcceptedAllocationIds.Contains(id));
                Assert.True(carrier.Sequence < terminated.Sequence, $"result of {id} (report {carrier.Sequence}) was not acknowledged before TERMINATED (report {terminated.Sequence})");
                Assert.NotEqual(FunctionExecutorStatus.Terminated, carrier.FunctionExecutorStates.FirstOrDefault(s => s.Description?.Id == functionExecutorId)?.Status);
            }
            else
            {
                var failed = Server.Heartbeats.Where(h => h.Succeeded).SelectMany(h => h.Request.AllocationOutcomes).Select(o => o.Failed).FirstOrDefault(f => f?.AllocationId == id);
                Assert.True(failed is not null, $"no accepted AllocationFailed for {id}");
                Assert.Equal(functionExecutorId, failed.ContainerId);
            }
        }
    }

    /// <summary>
    /// After <c>RemoveFunctionExecutor</c> (at sequence <paramref name="removedAt"/>) was confirmed, the removal was not
    /// reported as a failure. v1: the FE simply vanished from the reports, never TERMINATED on the way. v2: exactly one
    /// ContainerTerminated FUNCTION_CANCELLED (how a removed container is said to be gone), nothing after it.
    /// </summary>
    public async Task AssertRemovalReportedAsGoneAsync(string functionExecutorId, long removedAt, TimeSpan timeout)
    {
        FunctionExecutorState? StateIn(ReceivedReport report) => report.FunctionExecutorStates.FirstOrDefault(s => s.Description?.Id == functionExecutorId);
        if (Protocols.IsServerV1)
        {
            var firstWithout = Server.Reports.First(r => r.Sequence > removedAt && r.Succeeded && StateIn(r) is null);
            Assert.All(
                Server.Reports.Where(r => r.Sequence > removedAt && r.Sequence < firstWithout.Sequence),
                r => Assert.NotEqual(FunctionExecutorStatus.Terminated, StateIn(r)?.Status));
            var latest = await Server.WaitForReportAsync(r => r.Succeeded, timeout, afterSequence: firstWithout.Sequence);
            Assert.Null(StateIn(latest));
            return;
        }

        // One more accepted heartbeat, so a second mention would have had its chance.
        await Server.WaitForReportAsync(r => r.Succeeded, timeout, afterSequence: Server.LastSequence);
        var mention = Assert.Single(Server.Reports.Where(r => r.Sequence > removedAt && r.Succeeded).Select(StateIn).OfType<FunctionExecutorState>());
        Assert.Equal(FunctionExecutorStatus.Terminated, mention.Status);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionCancelled, mention.TerminationReason);
    }

    /// <summary>
    /// A result's function is the allocation's, as upstream reports it. v1: application_version set, and empty (the
    /// upstream executor's quirk). v2: unset (the dataplane copies the allocation's function, which has none).
    /// </summary>
    public void AssertResultFunctionAsUpstream(AllocationResult result)
    {
        if (Protocols.IsServerV1)
        {
            Assert.True(result.Function.HasApplicationVersion);
            Assert.Equal(string.Empty, result.Function.ApplicationVersion);
        }
        else
        {
            Assert.False(result.Function.HasApplicationVersion, $"v2 result carries application_version '{result.Function.ApplicationVersion}'");
        }
    }

    /// <summary>How often the executor began reading its work: v1 desired-state streams opened, v2 command polls received.</summary>
    public int DesiredStateReads => Protocols.IsServerV1 ? Server.StreamOpenCount : Server.CommandPollCount;

    /// <summary>Waits until the executor reads its work again after <paramref name="readsBefore"/> (<see cref="DesiredStateReads"/>).</summary>
    public Task WaitForDesiredStateReadAsync(int readsBefore, TimeSpan timeout) =>
        Protocols.IsServerV1
            ? Server.WaitUntilAsync(s => s.StreamOpenCount > readsBefore && s.OpenStreamCount >= 1, timeout, "desired-state stream reopened")
            : Server.WaitUntilAsync(s => s.CommandPollCount > readsBefore, timeout, "poll_commands again");

    /// <summary>The test FE's stdout+stderr as the executor captured it (cache/fe-logs/&lt;fe id&gt;.log).</summary>
    public string ReadFunctionExecutorLog(string functionExecutorId)
    {
        var directory = Path.Combine(Executor.CachePath, "fe-logs");
        var file = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.log").FirstOrDefault(f => Path.GetFileNameWithoutExtension(f).Contains(functionExecutorId, StringComparison.Ordinal))
            : null;
        if (file is null)
        {
            throw new FileNotFoundException($"no diagnostics log for FE {functionExecutorId} under {directory}");
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
