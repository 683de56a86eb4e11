using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Executor.Model;

namespace Executor.Configuration;

/// <summary>Who this executor is for the Server: a fresh id per process start, host name, version, labels, allowlist.</summary>
public sealed class ExecutorIdentity
{
    // The Server treats exactly "0.2.0" as a sandbox-only dataplane and never places functions there.
    public const string Version = "0.4.56-dotnet.1";

    private const string NanoIdAlphabet = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public ExecutorIdentity(string executorId, string hostname, IReadOnlyDictionary<string, string> labels, IReadOnlyList<FunctionRef> allowedFunctions, string? catalogEntryName)
    {
        ExecutorId = executorId;
        Hostname = hostname;
        Labels = labels;
        AllowedFunctions = allowedFunctions;
        CatalogEntryName = catalogEntryName;
    }

    public string ExecutorId { get; }

    public string Hostname { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyList<FunctionRef> AllowedFunctions { get; }

    public string? CatalogEntryName { get; }

    /// <summary>21 characters from the 64-symbol nanoid alphabet, like upstream (may start with '-').</summary>
    public static string NewExecutorId()
    {
        Span<byte> random = stackalloc byte[21];
        RandomNumberGenerator.Fill(random);
        Span<char> id = stackalloc char[21];
        for (var i = 0; i < id.Length; i++)
        {
            id[i] = NanoIdAlphabet[random[i] & 63];
        }

        return new string(id);
    }

    /// <summary>platform.machine() spelling, which placement constraints written for upstream expect.</summary>
    public static string ArchitectureLabel() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "i686",
        Architecture.Arm => "armv7l",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>platform.system() spelling.</summary>
    public static string OsLabel() =>
        OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "Darwin" : OperatingSystem.IsWindows() ? "Windows" : RuntimeInformation.OSDescription;
}
