using System.Text.Json.Serialization;

namespace Executor.FunctionExecutors.Processes;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PidRecord))]
internal sealed partial class PidRecordJsonContext : JsonSerializerContext;
