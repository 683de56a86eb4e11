using System.Diagnostics;

namespace Executor.Processes.Tests;

/// <summary>
/// A stand-in Function Executor: a small python3 script that records its argv, environment and process ids, then
/// behaves according to FAKE_FE_MODE (listen, never, exit, fail-once, spam, grandchild, orphan, ignore-term).
/// On a connection that sends "exit N" it exits with status N, "spam" makes it write FAKE_FE_SPAM_BYTES to stdout and
/// stderr; the launcher's probe sends nothing.
/// </summary>
internal static class FakeFunctionExecutorScript
{
    private static readonly Lazy<string> Python = new(FindPython);

    /// <summary>The real interpreter (not a pyenv shim), so the script starts fast in a clean environment.</summary>
    public static string PythonExecutable => Python.Value;

    public const string Source = """
        import json, os, signal, socket, subprocess, sys, time

        def main():
            args = sys.argv[1:]
            mode = os.environ.get("FAKE_FE_MODE", "listen")
            record = os.environ.get("FAKE_FE_RECORD")
            port = int(args[args.index("--address") + 1].rsplit(":", 1)[1])
            info = {"argv": sys.argv, "env": dict(os.environ), "pid": os.getpid(), "pgid": os.getpgid(0),
                    "sid": os.getsid(0), "cwd": os.getcwd(), "port": port}
            if mode in ("grandchild", "orphan", "ignore-term"):
                child = subprocess.Popen(["sleep", "1000"])
                info["grandchild"] = child.pid
            if record:
                with open(record + ".attempts", "a") as f:
                    f.write(f"{port}\n")
                with open(record + ".tmp", "w") as f:
                    json.dump(info, f)
                os.replace(record + ".tmp", record)
            sys.stderr.write(f"fake-fe pid={os.getpid()} mode={mode} port={port}\n")
            sys.stderr.flush()
            if mode == "exit":
                sys.stderr.write("bind: Address already in use\n")
                sys.stderr.flush()
                sys.exit(int(os.environ.get("FAKE_FE_EXIT_CODE", "3")))
            if mode == "fail-once":
                marker = record + ".failed"
                if not os.path.exists(marker):
                    open(marker, "w").close()
                    sys.exit(4)
            if mode == "never":
                while True:
                    time.sleep(1000)
            if mode == "spam":
                sys.stderr.write("stderr-marker\n")
                sys.stderr.flush()
                sys.stdout.write("stdout-marker\n")
                sys.stdout.flush()
            if mode == "ignore-term":
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            serve(port)

        def serve(port):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            s.listen(16)
            while True:
                c, _ = s.accept()
                c.settimeout(10)
                try:
                    data = c.recv(64)
                except OSError:
                    data = b""
                c.close()
                if data == b"spam":
                    n = int(os.environ.get("FAKE_FE_SPAM_BYTES", "100000"))
                    sys.stdout.write("o" * n + "\n")
                    sys.stdout.flush()
                    sys.stderr.write("e" * n + "\nspam-done\n")
                    sys.stderr.flush()
                if data.startswith(b"exit "):
                    sys.stderr.write("exiting on request\n")
                    sys.stderr.flush()
                    os._exit(int(data.split()[1]))

        main()
        """;

    /// <summary>Writes the script as an executable file with a shebang to the real interpreter.</summary>
    public static string WriteTo(string directory)
    {
        var path = Path.Combine(directory, "fake-function-executor");
        File.WriteAllText(path, $"#!{PythonExecutable}\n{Source}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string FindPython()
    {
        var startInfo = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("import sys; print(sys.executable)");
        using var process = Process.Start(startInfo)!;
        var path = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException("python3 is required by these tests and was not found.");
        }

        return path;
    }
}
