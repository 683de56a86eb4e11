using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace TestFunctionExecutor;

/// <summary>
/// Makes the scripted crashes of an <see cref="InProcessFunctionExecutor"/> end that instance instead of the process
/// hosting it (the service would call <c>_exit</c>). The script is read from the function name given to initialize:
/// <list type="bullet">
/// <item><c>init_crash</c>: the instance dies inside initialize, which is never answered;</item>
/// <item><c>crash_idle_N</c>: the segment is removed before the service sees it; the instance dies N ms after a
/// successful initialize;</item>
/// <item><c>crash</c>: the service runs it as <c>hang</c>; the instance dies 50 ms after the executor received the
/// allocation's first state snapshot, as the process does.</item>
/// </list>
/// Each death has exit code 70, as the process's.
/// </summary>
internal sealed class InProcessCrashInterceptor : Interceptor
{
    private static readonly TimeSpan CrashAfterFirstState = TimeSpan.FromMilliseconds(50);

    private InProcessFunctionExecutor? _fe;
    private volatile bool _crashOnFirstState;

    public void Attach(InProcessFunctionExecutor fe) => _fe = fe;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (request is not InitializeRequest { Function.FunctionName: { } name } initialize)
        {
            return await continuation(request, context).ConfigureAwait(false);
        }

        var script = FunctionScript.Parse(name);
        if (script.Init == InitBehaviour.Crash)
        {
            _ = Crash();
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
        }

        var segments = name.Split(TestFunctions.Separator).Where(s => !s.Trim().StartsWith(TestFunctions.CrashIdlePrefix, StringComparison.Ordinal));
        if (script.Allocation == AllocationBehaviour.Crash)
        {
            _crashOnFirstState = true;
            segments = segments.Select(s => s.Trim() == TestFunctions.Crash ? TestFunctions.Hang : s);
        }

        var rewritten = string.Join(TestFunctions.Separator, segments);
        if (rewritten != name)
        {
            initialize = initialize.Clone();
            initialize.Function.FunctionName = rewritten.Length > 0 ? rewritten : TestFunctions.Echo;
            request = (TRequest)(object)initialize;
        }

        var response = await continuation(request, context).ConfigureAwait(false);
        if (script.CrashIdleMs is { } idle && response is InitializeResponse { OutcomeCode: InitializationOutcomeCode.Success })
        {
            _ = CrashAfterAsync(TimeSpan.FromMilliseconds(idle));
        }

        return response;
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        => _crashOnFirstState && request is WatchAllocationStateRequest
            ? continuation(request, new CrashAfterFirstWrite<TResponse>(responseStream, this), context)
            : continuation(request, responseStream, context);

    private Task Crash() => _fe?.CrashAsync() ?? Task.CompletedTask;

    private async Task CrashAfterAsync(TimeSpan delay)
    {
        if (_fe is { } fe)
        {
            await Task.WhenAny(Task.Delay(delay), fe.Exited).ConfigureAwait(false);
            await fe.CrashAsync().ConfigureAwait(false);
        }
    }

    private sealed class CrashAfterFirstWrite<T>(IServerStreamWriter<T> inner, InProcessCrashInterceptor owner) : IServerStreamWriter<T>
    {
        private int _writes;

        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            if (Interlocked.Increment(ref _writes) == 1)
            {
                _ = owner.CrashAfterAsync(CrashAfterFirstState);
            }
        }
    }
}
