using Executor.Testing;

namespace Executor.Protocol.Tests.Contract;

/// <summary>
/// Finds and parses the in-repository wire contract reference (Contract/wire-contract.md in this project: the upstream
/// protos' fact tables, see its header for where they come from). A missing reference is a test failure, never a skip.
/// </summary>
public static class WireContractFile
{
    public static string DefaultPath => Path.Combine(RepositoryPaths.RepositoryRoot, "tests", "Executor.Protocol.Tests", "Contract", "wire-contract.md");

    private static readonly Lazy<WireContract> Default = new(() => Load(DefaultPath));

    public static WireContract LoadDefault() => Default.Value;

    public static string ReadText(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The wire contract reference was not found at '{path}'. The proto drift check needs tests/Executor.Protocol.Tests/Contract/wire-contract.md " +
                "from the repository; without it the protos cannot be verified, so this fails instead of skipping.",
                path);
        }

        return File.ReadAllText(path);
    }

    public static WireContract Load(string path) => WireContractParser.Parse(ReadText(path));
}
