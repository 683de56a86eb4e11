using Executor.Configuration;
using Executor.Silo.Hosting;
using Microsoft.Extensions.Options;

var commandLine = ExecutorCommandLine.Parse(args);
if (commandLine.ShowHelp)
{
    Console.WriteLine(ExecutorCommandLine.Usage);
    return 0;
}

if (commandLine.ShowVersion)
{
    Console.WriteLine($"indexify-executor {ExecutorIdentity.Version}");
    return 0;
}

if (commandLine.Errors.Count > 0)
{
    foreach (var error in commandLine.Errors)
    {
        Console.Error.WriteLine("error: " + error);
    }

    Console.Error.WriteLine("Run with --help for usage.");
    return 2;
}

try
{
    var app = ExecutorHost.Build(args, commandLine);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    foreach (var failure in ex.Failures)
    {
        Console.Error.WriteLine("configuration error: " + failure);
    }

    return 2;
}

/// <summary>Entry point type, visible to tests that host the executor in-process.</summary>
public partial class Program;
