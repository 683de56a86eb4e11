namespace TestFunctionExecutor;

/// <summary>A started child call: its id (0.1.2: the FunctionCall id; 0.1.3: the durable id) and target function.</summary>
internal sealed record ChildCall(string Id, string FunctionName);
