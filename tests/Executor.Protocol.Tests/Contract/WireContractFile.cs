using Executor.Testing;

namespace Executor.Protocol.Tests.Contract;

/// <summary>Finds and parses shared/reference/wire-contract.md. A missing reference is a test failure, never a skip.</summary>
public static class WireContractFile
{
    public static string DefaultPath => Path.Combine(RepositoryPaths.SharedDirectory, "reference", "wire-contract.md");

    private static readonly Lazy<WireContract> Default = new(() => Load(DefaultPath));

    public static WireContract LoadDefault() => Default.Value;

    public static string ReadText(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The wire contract reference was not found at '{path}'. The proto drift check needs shared/reference/wire-contract.md " +
                "in the 'shared' directory next to the repository root; without it the protos cannot be verified, so this fails instead of skipping.",
                path);
        }

        return File.ReadAllText(path);
    }

    public static WireContract Load(string path) => WireContractParser.Parse(ReadText(path));
}
