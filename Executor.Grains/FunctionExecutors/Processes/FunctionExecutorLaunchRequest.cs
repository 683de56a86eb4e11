namespace Executor.FunctionExecutors.Processes;

/// <summary>What the FE grain asks for when it needs a new Function Executor worker process.</summary>
/// <param name="ExecutorId">Passed as <c>--executor-id</c>.</param>
/// <param name="FunctionExecutorId">Passed as <c>--function-executor-id</c>; also names the pid record and the diagnostics log.</param>
/// <param name="DevMode">Adds <c>--dev</c> (upstream: only with <c>-v</c>/<c>-vv</c>).</param>
/// <param name="ExtraEnvironment">Set on top of the passthrough variables, e.g. <c>CUDA_VISIBLE_DEVICES</c>.</param>
public sealed record FunctionExecutorLaunchRequest(
    string ExecutorId,
    string FunctionExecutorId,
    bool DevMode,
    IReadOnlyDictionary<string, string> ExtraEnvironment);
