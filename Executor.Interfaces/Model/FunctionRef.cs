namespace Executor.Model;

/// <summary>Identity of a function: namespace / application / function, and the application version when known.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionRef")]
public sealed record FunctionRef(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Application,
    [property: Id(2)] string Function,
    [property: Id(3)] string? Version)
{
    public override string ToString() => Version is null ? $"{Namespace}:{Application}:{Function}" : $"{Namespace}:{Application}:{Function}:{Version}";
}
