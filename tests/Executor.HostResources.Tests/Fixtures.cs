using Executor.Testing;

namespace Executor.HostResources.Tests;

/// <summary>Real nvidia-smi captures in tests/fixtures/nvidia-smi (one H100 80GB HBM3). Missing fixtures fail the test.</summary>
public static class Fixtures
{
    public const string H100Uuid = "GPU-6cc9aacb-5f8e-6431-8634-12814ed03509";

    public static string NvidiaSmi(string fileName)
    {
        return File.ReadAllText(RepositoryPaths.Fixture("nvidia-smi", fileName));
    }
}
