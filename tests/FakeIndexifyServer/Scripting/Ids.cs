namespace FakeIndexifyServer;

/// <summary>Opaque unique ids, like the server's generated ones.</summary>
internal static class Ids
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
