namespace Executor.Server;

/// <summary>Health of the Server channel as the last report saw it; drives /monitoring/health.</summary>
public sealed class ServerChannelHealth
{
    private volatile bool _healthy = true;
    private volatile bool _succeeded;
    private volatile string _message = "Successful";

    public bool IsHealthy => _healthy;

    /// <summary>Some report was accepted since the process started (the dataplane's health starts unhealthy until then).</summary>
    public bool HasSucceeded => _succeeded;

    public string Message => _message;

    public void ReportSucceeded()
    {
        _message = "Successful";
        _healthy = true;
        _succeeded = true;
    }

    public void ReportFailed()
    {
        _message = "grpc server channel is unhealthy";
        _healthy = false;
    }
}
