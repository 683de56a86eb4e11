namespace FakeIndexifyServer;

/// <summary>Which Server protocol the fake speaks. Both use the service name executor_api_pb.ExecutorAPI.</summary>
public enum ServerProtocol
{
    /// <summary>report_executor_state, get_desired_executor_states, call_function (server-contract Part 1/2).</summary>
    V1,

    /// <summary>heartbeat, poll_commands, poll_allocation_results (server-contract Part 3).</summary>
    V2,
}
