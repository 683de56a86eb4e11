// These tests drive real Linux processes (setsid, /proc, signals).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
