using System.Diagnostics;
using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>The cache file system fills up, then turns read-only: FE starts fail with a defined reason, the executor keeps running and recovers.</summary>
public abstract class DiskTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task AFullCacheFileSystemFailsFunctionExecutorStartsWithAnInternalStartupErrorAndTheExecutorKeepsRunning()
    {
        using var temp = new TempDirectory("executor-reliability-disk");
        var cache = Directory.CreateDirectory(temp.Combine("cache")).FullName;
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", cache);
        ExecutorProcess? executor = null;
        string? executorId = null;
        FakeServer? server = null;
        try
        {
            var protocols = TProtocols.Combination;
            server = await FakeServer.StartAsync(new FakeServerOptions { BlobStoreDirectory = temp.Combine("blobs"), Protocol = protocols.Server });
            var environment = FunctionExecutorEnvironment.WithProtocol(new Dictionary<string, string> { ["EXECUTOR__ReportInterval"] = "00:00:01", ["EXECUTOR__MinFreeCacheBytes"] = "524288" }, protocols.FunctionExecutor);
            executor = await ExecutorProcess.StartAsync(server.Address, cache, environment: environment);
            executorId = (await server.WaitForRegisteredExecutorAsync(timeout: Host.Patience)).ExecutorId;

            // Fill the file system to the last byte.
            var filler = Path.Combine(cache, "filler");
            await using (var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write))
            {
                var block = new byte[4096];
                try
                {
                    while (true)
                    {
                        stream.Write(block);
                        stream.Flush();
                    }
                }
                catch (IOException)
                {
                    // ENOSPC: full.
                }

                stream.SetLength(stream.Position);
            }

            var code = server.Blobs.Put("ns/app/code/1.zip", new byte[64 * 1024], "application/zip");
            var fe = server.NewFunctionExecutor("ns", "app", TestFunctions.Echo, codePayload: code);
            var arg = server.Blobs.PutRequestPayload("ns", "app", "r", "in", "\"x\""u8.ToArray(), "application/json");
            var queued = server.AddAllocation(server.NewAllocation(fe, [arg], requestId: "r"), executorId);
            server.AddFunctionExecutor(executorId, fe);

            // The start is refused before anything is spent: STARTUP_FAILED_INTERNAL_ERROR for the FE and its queued allocation,
            // with a log line that names the file system and the shortfall; no process was launched.
            var result = await server.WaitForResultAsync(queued.AllocationId, Host.Patience);
            Assert.Equal(AllocationOutcomeCode.Failure, result.OutcomeCode);
            Assert.Equal(AllocationFailureReason.StartupFailedInternalError, result.FailureReason);
            var reason = (await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Terminated)).FunctionExecutorStates.Single(s => s.Description.Id == fe.Id).TerminationReason;
            Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, reason);
            Assert.Empty(Host.FunctionExecutorPidsOf(fe.Id));
            await Eventually.TrueAsync(() => executor.Output.Contains("bytes free; starting a function executor needs at least", StringComparison.Ordinal), Host.Patience, "the shortfall is logged");
            Assert.False(File.Exists(Path.Combine(cache, "fe-logs", fe.Id + ".log")), "no FE was launched");
            Console.WriteLine($"[reliability] full cache file system: allocation {result.OutcomeCode}/{result.FailureReason}, FE termination {reason}");

            // Still up, still reporting.
            Assert.Equal(200, (await executor.GetAsync("/monitoring/startup")).Status);
            var seq = server.LastSequence;
            await server.WaitForReportAsync(r => r.Succeeded && r.ExecutorId == executorId, Host.Patience, afterSequence: seq);

            // Unwritable: space is free again but the file system is read-only. The FE cannot get its diagnostics log,
            // working directory or pid record, so its start fails STARTUP_FAILED_INTERNAL_ERROR; the executor keeps running.
            File.Delete(filler);
            await RunAsync("mount", "-o", "remount,ro", cache);
            try
            {
                var readOnlyFe = server.NewFunctionExecutor("ns", "app", TestFunctions.Echo, applicationVersion: "read-only", codePayload: code);
                var readOnlyQueued = server.AddAllocation(server.NewAllocation(readOnlyFe, [arg], requestId: "r"), executorId);
                server.AddFunctionExecutor(executorId, readOnlyFe);
                var readOnlyResult = await server.WaitForResultAsync(readOnlyQueued.AllocationId, Host.Patience);
                Assert.Equal(AllocationFailureReason.StartupFailedInternalError, readOnlyResult.FailureReason);
                var readOnlyState = (await server.WaitForStatusAsync(readOnlyFe.Id, FunctionExecutorStatus.Terminated)).FunctionExecutorStates.Single(s => s.Description.Id == readOnlyFe.Id);
                Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, readOnlyState.TerminationReason);
                await Host.WaitForNoProcessAsync(readOnlyFe.Id);
                Assert.Equal(200, (await executor.GetAsync("/monitoring/startup")).Status);
            }
            finally
            {
                await RunAsync("mount", "-o", "remount,rw", cache);
            }

            // Space comes back, writable: the next FE starts and runs.
            var fe2 = server.AddFunctionExecutor(executorId, server.NewFunctionExecutor("ns", "app", TestFunctions.Echo, applicationVersion: "1", codePayload: code));
            var ok = server.AddAllocation(server.NewAllocation(fe2, [arg], requestId: "r"), executorId);
            Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(ok.AllocationId, Host.Patience)).OutcomeCode);
            Assert.False(executor.HasExited);
        }
        finally
        {
            if (executor is not null)
            {
                await executor.DisposeAsync();
            }

            if (executorId is not null)
            {
                Host.KillFunctionExecutorsOf(executorId);
            }

            if (server is not null)
            {
                await server.DisposeAsync();
            }

            await RunAsync("umount", "-l", cache);
        }
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {error}");
    }
}

/// <summary><see cref="DiskTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class DiskTests
{
    public sealed class V1Fe012 : DiskTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : DiskTests<Protocols.V2Fe013>;
}
