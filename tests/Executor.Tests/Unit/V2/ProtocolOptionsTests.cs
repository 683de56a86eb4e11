using Executor.Configuration;
using Xunit;

namespace Executor.Tests.Unit.V2;

/// <summary>The protocol settings are validated with the key and flag they belong to.</summary>
public sealed class ProtocolOptionsTests
{
    [Theory]
    [InlineData("auto", ServerProtocolMode.Auto)]
    [InlineData("V2", ServerProtocolMode.V2)]
    [InlineData(" v1 ", ServerProtocolMode.V1)]
    public void KnownProtocolsAreAcceptedInAnyCase(string value, ServerProtocolMode mode)
    {
        var options = new ExecutorOptions { ServerProtocol = value };
        Assert.True(new ExecutorOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(mode, options.ServerProtocolMode);
    }

    [Theory]
    [InlineData("v3")]
    [InlineData("")]
    public void AnUnknownProtocolIsAStartupError(string value)
    {
        var result = new ExecutorOptionsValidator().Validate(null, new ExecutorOptions { ServerProtocol = value });
        Assert.False(result.Succeeded);
        Assert.Contains("Executor:ServerProtocol (--server-protocol) must be auto, v1 or v2", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024 * 1024, false)]
    [InlineData(2 * 1024 * 1024, true)]
    [InlineData(31 * 1024 * 1024, true)]
    [InlineData(32 * 1024 * 1024, false)]
    public void HeartbeatsStayBelowTheServersLimitAndFitAFunctionCall(int bytes, bool valid)
    {
        var result = new ExecutorOptionsValidator().Validate(null, new ExecutorOptions { MaxHeartbeatBytes = bytes });
        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public void DefaultsFollowTheDataplaneWithAPollDeadlineAboveTheServersHold()
    {
        var options = new ExecutorOptions();
        Assert.Equal(ServerProtocolMode.Auto, options.ServerProtocolMode);
        Assert.Equal(10 * 1024 * 1024, options.MaxHeartbeatBytes);
        Assert.True(options.ServerPollTimeout > TimeSpan.FromSeconds(300));
        Assert.False(new ExecutorOptionsValidator().Validate(null, new ExecutorOptions { ServerPollTimeout = TimeSpan.Zero }).Succeeded);
    }
}
