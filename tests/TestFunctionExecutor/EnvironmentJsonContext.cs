using System.Text.Json.Serialization;

namespace TestFunctionExecutor;

/// <summary>Source-generated JSON for the env behaviour (no reflection at startup).</summary>
[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSourceGenerationOptions(WriteIndented = false)]
internal sealed partial class EnvironmentJsonContext : JsonSerializerContext;
