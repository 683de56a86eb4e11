using Executor.FunctionExecutors;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.FunctionExecutors.Tests;

/// <summary>Issue 14: a failed initialize says why in the FE's own words when the FE gives them (InitializeResponse.error_message).</summary>
public sealed class InitializeFailureTests
{
    [Fact]
    public void TheFunctionExecutorsErrorMessageFollowsTheOutcome()
    {
        var response = new Fe.InitializeResponse
        {
            OutcomeCode = Fe.InitializationOutcomeCode.Failure,
            FailureReason = Fe.InitializationFailureReason.FunctionError,
            ErrorMessage = "ModuleNotFoundError: No module named 'numpy'",
        };
        Assert.Equal("initialize answered Failure FunctionError: ModuleNotFoundError: No module named 'numpy'", InitializeFailure.Describe(response));
    }

    [Fact]
    public void WithoutAnErrorMessageOnlyTheOutcomeIsTold()
    {
        var response = new Fe.InitializeResponse { OutcomeCode = Fe.InitializationOutcomeCode.Failure, FailureReason = Fe.InitializationFailureReason.InternalError };
        Assert.Equal("initialize answered Failure InternalError", InitializeFailure.Describe(response));
    }

    [Fact]
    public void ALongErrorMessageIsCut()
    {
        var response = new Fe.InitializeResponse { OutcomeCode = Fe.InitializationOutcomeCode.Failure, ErrorMessage = new string('x', 10_000) };
        Assert.True(InitializeFailure.Describe(response).Length < InitializeFailure.MaxErrorMessageLength + 100);
    }
}
