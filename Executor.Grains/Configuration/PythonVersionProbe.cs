using System.Diagnostics;

namespace Executor.Configuration;

/// <summary>
/// Finds the Python interpreter that runs the configured function-executor (the shebang of its console
/// script) and asks it for its version, so python_major_version / python_minor_version labels describe
/// the Python that will really run user code. Returns null when that cannot be determined.
/// </summary>
public static class PythonVersionProbe
{
    public static async Task<(string Major, string Minor)?> DetectAsync(string functionExecutorCommand, CancellationToken cancellationToken)
    {
        var path = ResolveOnPath(functionExecutorCommand);
        if (path is null)
        {
            return null;
        }

        var interpreter = ReadShebangInterpreter(path);
        if (interpreter is null)
        {
            return null;
        }

        try
        {
            var startInfo = new ProcessStartInfo(interpreter.Value.Program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in interpreter.Value.Arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            startInfo.ArgumentList.Add("-c");
            startInfo.ArgumentList.Add("import sys; print(sys.version_info[0], sys.version_info[1])");
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return null;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var output = await process.StandardOutput.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var parts = output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return process.ExitCode == 0 && parts.Length == 2 && parts.All(p => p.All(char.IsAsciiDigit)) ? (parts[0], parts[1]) : null;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    internal static string? ResolveOnPath(string command)
    {
        if (command.Contains('/'))
        {
            return File.Exists(command) ? Path.GetFullPath(command) : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static (string Program, string[] Arguments)? ReadShebangInterpreter(string scriptPath)
    {
        try
        {
            using var reader = new StreamReader(scriptPath);
            var buffer = new char[512];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            var head = new string(buffer, 0, read);
            if (!head.StartsWith("#!", StringComparison.Ordinal))
            {
                return null;
            }

            var line = head[2..].Split('\n')[0].Trim();
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                return null;
            }

            // "#!/usr/bin/env python3" names the interpreter through env.
            if (Path.GetFileName(tokens[0]) == "env" && tokens.Length >= 2)
            {
                return (tokens[1], tokens[2..]);
            }

            return Path.GetFileName(tokens[0]).StartsWith("python", StringComparison.Ordinal) ? (tokens[0], tokens[1..]) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
