namespace Executor.Testing;

/// <summary>Finds the repository root and the build outputs of sibling projects from a test's bin folder.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepositoryRoot => Root.Value;

    /// <summary>The build configuration the running test assembly was built with (Debug or Release).</summary>
    public static string Configuration
    {
        get
        {
            var baseDir = AppContext.BaseDirectory.Replace('\\', '/');
            return baseDir.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        }
    }

    /// <summary>Path of the native apphost of a project under the repository, e.g. ("tests/TestFunctionExecutor", "TestFunctionExecutor").</summary>
    public static string AppHost(string projectDirectory, string assemblyName)
    {
        var path = Path.Combine(RepositoryRoot, projectDirectory, "bin", Configuration, "net10.0", assemblyName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Build output not found: {path}. Build the solution first (dotnet build Executor.sln).", path);
        }

        return path;
    }

    /// <summary>The test Function Executor executable (tests/TestFunctionExecutor).</summary>
    public static string TestFunctionExecutor => AppHost(Path.Combine("tests", "TestFunctionExecutor"), "TestFunctionExecutor");

    /// <summary>The executor executable (Executor.Silo).</summary>
    public static string ExecutorExecutable => AppHost("Executor.Silo", "indexify-executor");

    /// <summary>
    /// Test data kept in the repository (tests/fixtures): a fresh clone has everything the tests read, nothing is
    /// looked up outside the repository.
    /// </summary>
    public static string FixturesDirectory => Path.Combine(RepositoryRoot, "tests", "fixtures");

    /// <summary>A fixture file under tests/fixtures; a missing one is an error that names the path, never a skip.</summary>
    public static string Fixture(params string[] relativePath)
    {
        var path = Path.Combine([FixturesDirectory, .. relativePath]);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Test fixture not found: {path} (it belongs in the repository under tests/fixtures).", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Executor.sln")))
            {
                return dir.FullName;
            }

            dir = dir.Parent;
        }

        throw new InvalidOperationException("Executor.sln not found above " + AppContext.BaseDirectory);
    }
}
